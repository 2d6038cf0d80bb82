using System.Diagnostics.Metrics;

namespace DmVoice.Gateway.Observability;

/// <summary>Gateway counters: connections, event deliveries, lease traffic, connections the gateway closed and bearer token checks.</summary>
public sealed class GatewayMetrics : IDisposable
{
    public const string MeterName = "DmVoice.Gateway";

    /// <summary>The counter the benchmark reads to measure lease traffic.</summary>
    public const string PresenceMessagesInstrument = "dmvoice.gateway.presence.messages";

    /// <summary>Bearer tokens checked, by <c>answer</c>: <see cref="TokenValidationCached"/> or <see cref="TokenValidationValidated"/>.</summary>
    public const string TokenValidationsInstrument = "dmvoice.gateway.token_validations";

    /// <summary>A token validated before, answered from the validated-token cache (<see cref="Auth.CachingTokenHandler"/>).</summary>
    public const string TokenValidationCached = "cached";

    /// <summary>A token the token handler validated in full, valid or not.</summary>
    public const string TokenValidationValidated = "validated";

    private readonly Meter _meter;
    private readonly UpDownCounter<long> _connections;
    private readonly UpDownCounter<long> _subscriptions;
    private readonly Counter<long> _eventsDelivered;
    private readonly Counter<long> _webhooks;
    private readonly Counter<long> _presenceMessages;
    private readonly Counter<long> _closedByGateway;
    private readonly Counter<long> _deliveries;
    private readonly Counter<long> _readRetries;
    private readonly Counter<long> _unavailable;
    private readonly Counter<long> _internalErrors;
    private readonly Counter<long> _leaseLost;
    private readonly Counter<long> _tokenValidations;
    private readonly Histogram<double> _eventLatency;

    public GatewayMetrics(IMeterFactory meterFactory)
    {
        _meter = meterFactory.Create(MeterName);
        _connections = _meter.CreateUpDownCounter<long>("dmvoice.gateway.connections", description: "Open SignalR connections");
        _subscriptions = _meter.CreateUpDownCounter<long>("dmvoice.gateway.stream_subscriptions", description: "User event streams this gateway listens to");
        _eventsDelivered = _meter.CreateCounter<long>("dmvoice.gateway.events_delivered", description: "Events pushed to a user's connections, by event");
        _webhooks = _meter.CreateCounter<long>("dmvoice.gateway.livekit_webhooks", description: "LiveKit webhooks, by event and result");
        _presenceMessages = _meter.CreateCounter<long>(
            PresenceMessagesInstrument, description: "Lease and device messages this gateway sent to the cluster, by kind");
        _closedByGateway = _meter.CreateCounter<long>(
            "dmvoice.gateway.connections_closed", description: "Connections the gateway closed itself, by reason (event_backlog: a client fell behind)");
        _deliveries = _meter.CreateCounter<long>(
            "dmvoice.gateway.deliveries_received", description: "Event messages grains pushed to this gateway (one per stored change per gateway, carrying its events)");
        _readRetries = _meter.CreateCounter<long>(
            "dmvoice.gateway.read_retries", description: "Reads (GETs, the hub's sync) retried after a transient fault, by surface");
        _unavailable = _meter.CreateCounter<long>(
            "dmvoice.gateway.unavailable", description: "Requests answered temporarily_unavailable (503) after a transient fault, by surface (rest, hub, connect)");
        _internalErrors = _meter.CreateCounter<long>(
            "dmvoice.gateway.internal_errors", description: "Requests answered internal_error (500: a bug, logged with its trace id), by surface (rest, hub)");
        _leaseLost = _meter.CreateCounter<long>(
            "dmvoice.gateway.lease_lost",
            description: "Times this gateway lost its lease and closed every connection, by reason (gateway_lease_lapsed: the cluster had dropped its devices; cluster_unreachable: it could not renew within the lease timeout)");
        _tokenValidations = _meter.CreateCounter<long>(
            TokenValidationsInstrument,
            description: "Bearer tokens checked, by answer (cached: validated before and answered from the validated-token cache; validated: validated in full, valid or not)");
        _eventLatency = _meter.CreateHistogram(
            "dmvoice.gateway.event_delivery.duration",
            unit: "s",
            description: "From an event being queued for a connection to its write to that connection completing",
            tags: null,
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10] });

        Prime();
    }

    /// <summary>
    /// Records 0 for the series alerts watch: Prometheus sees no increase in a counter whose first sample
    /// already counts the first event. Called again once the host has started: a measurement made before
    /// the exporter listens is lost.
    /// </summary>
    public void Prime()
    {
        foreach (var surface in new[] { "rest", "hub", "connect" })
        {
            _unavailable.Add(0, new KeyValuePair<string, object?>("surface", surface));
        }

        _internalErrors.Add(0, new KeyValuePair<string, object?>("surface", "rest"));
        _internalErrors.Add(0, new KeyValuePair<string, object?>("surface", "hub"));
        _leaseLost.Add(0, new KeyValuePair<string, object?>("reason", ConnectionCloseReasons.GatewayLeaseLapsed));
        _leaseLost.Add(0, new KeyValuePair<string, object?>("reason", ConnectionCloseReasons.ClusterUnreachable));
        _closedByGateway.Add(0, new KeyValuePair<string, object?>("reason", ConnectionCloseReasons.EventBacklog));
        _connections.Add(0);
    }

    public void ConnectionOpened() => _connections.Add(1);

    public void ConnectionClosed() => _connections.Add(-1);

    public void StreamSubscribed(int delta) => _subscriptions.Add(delta);

    public void EventDelivered(string eventName, TimeSpan latency)
    {
        _eventsDelivered.Add(1, new KeyValuePair<string, object?>("event", eventName));
        _eventLatency.Record(latency.TotalSeconds);
    }

    public void InternalError(string surface) => _internalErrors.Add(1, new KeyValuePair<string, object?>("surface", surface));

    public void LeaseLost(string reason) => _leaseLost.Add(1, new KeyValuePair<string, object?>("reason", reason));

    public void WebhookReceived(string eventName, string result) =>
        _webhooks.Add(1, new KeyValuePair<string, object?>("event", eventName), new KeyValuePair<string, object?>("result", result));

    public void PresenceMessage(string kind) => _presenceMessages.Add(1, new KeyValuePair<string, object?>("kind", kind));

    public void ConnectionClosedByGateway(string reason) => _closedByGateway.Add(1, new KeyValuePair<string, object?>("reason", reason));

    public void DeliveryReceived() => _deliveries.Add(1);

    public void TokenValidation(string answer) => _tokenValidations.Add(1, new KeyValuePair<string, object?>("answer", answer));

    public void ReadRetried(string surface) => _readRetries.Add(1, new KeyValuePair<string, object?>("surface", surface));

    public void Unavailable(string surface) => _unavailable.Add(1, new KeyValuePair<string, object?>("surface", surface));

    /// <summary>Exports how often deliveries arrived out of order badly enough to be dropped or skipped.</summary>
    public void ObserveOrdering(Grains.Events.DeliveryOrdering ordering)
    {
        _meter.CreateObservableCounter("dmvoice.gateway.deliveries_dropped", () => ordering.Dropped, description: "Deliveries dropped as repeated or late");
        _meter.CreateObservableCounter("dmvoice.gateway.delivery_gaps_skipped", () => ordering.GapsSkipped, description: "Delivery gaps given up on (devices see a version gap and re-fetch)");
    }

    public void Dispose() => _meter.Dispose();
}
