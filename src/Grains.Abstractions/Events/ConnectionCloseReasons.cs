namespace DmVoice.Abstractions;

/// <summary>
/// Why the gateway closed a SignalR connection itself. The reason travels as the close message's
/// error, with reconnecting allowed: the client reconnects (to any gateway), calls <c>sync</c>, and
/// is right again.
/// </summary>
public static class ConnectionCloseReasons
{
    /// <summary>The connection fell too far behind on events (a slow or stalled client).</summary>
    public const string EventBacklog = "event_backlog";

    /// <summary>The gateway lost its lease on the cluster for a while; events may have been missed.</summary>
    public const string GatewayLeaseLapsed = "gateway_lease_lapsed";

    /// <summary>The gateway cannot reach the cluster; another gateway may.</summary>
    public const string ClusterUnreachable = "cluster_unreachable";

    /// <summary>
    /// The user opened more connections than allowed; the oldest is closed. Unlike the others, this close
    /// does not allow reconnecting: a client that reconnected would only push out the next oldest.
    /// </summary>
    public const string ConnectionLimit = "connection_limit";

    /// <summary>
    /// The gateway is stopping (a restart, a scale-down): reconnect at once, which a load balancer sends
    /// to another gateway. Until it has stopped, it turns new connections away with the same reason.
    /// </summary>
    public const string GatewayShuttingDown = "gateway_shutting_down";

    public static IReadOnlyList<string> All { get; } = [EventBacklog, GatewayLeaseLapsed, ClusterUnreachable, ConnectionLimit, GatewayShuttingDown];
}
