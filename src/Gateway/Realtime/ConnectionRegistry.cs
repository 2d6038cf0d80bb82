using System.Collections.Concurrent;
using DmVoice.Gateway.Hosting;
using DmVoice.Gateway.Observability;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Protocol;
using Microsoft.Extensions.Options;

namespace DmVoice.Gateway.Realtime;

/// <summary>
/// The users connected to this gateway and an outbox per connection. Events come in once per
/// gateway (direct delivery) or once per user (streams), are serialised once, and are posted to the
/// outboxes of the named users' connections. Connects and disconnects of one user are serialised by
/// that user's gate; deliveries read an immutable snapshot of the user's outboxes and take no lock.
/// </summary>
public sealed partial class ConnectionRegistry(
    IOptions<GatewayOptions> options,
    GatewayMetrics metrics,
    ILogger<ConnectionRegistry> logger,
    IUserEventSource? eventSource = null)
{
    private readonly ConcurrentDictionary<string, UserConnections> _users = new(StringComparer.Ordinal);
    private readonly int _queueLimit = options.Value.ConnectionQueueLimit;
    private readonly int _connectionLimit = options.Value.MaxConnectionsPerUser;

    private sealed class UserConnections
    {
        public readonly SemaphoreSlim Gate = new(1, 1);

        /// <summary>Replaced, never mutated, under the gate; read by deliveries without it.</summary>
        public volatile ConnectionOutbox[] Outboxes = [];

        public bool Closed;

        /// <summary>The user's event subscription, when events come per user (streams).</summary>
        public IAsyncDisposable? Subscription;
    }

    /// <summary>Whether any of the user's connections is on this gateway.</summary>
    public bool IsListening(string userId) => _users.ContainsKey(userId);

    public int UserCount => _users.Count;

    /// <summary>The ids of the user's connections registered here (one that is closing included, until it is removed).</summary>
    public string[] ConnectionIds(string userId) =>
        _users.TryGetValue(userId, out var user) ? Array.ConvertAll(user.Outboxes, o => o.ConnectionId) : [];

    /// <summary>Open connections on this gateway.</summary>
    public int ConnectionCount => _users.Values.Sum(u => u.Outboxes.Length);

    public async Task AddAsync(string userId, HubConnectionContext connection, CancellationToken cancellationToken)
    {
        while (true)
        {
            var user = _users.GetOrAdd(userId, static _ => new UserConnections());
            await user.Gate.WaitAsync(cancellationToken);
            try
            {
                if (user.Closed)
                {
                    continue; // The last connection closed while we waited: start over with a fresh entry.
                }

                if (eventSource is not null && user.Subscription is null)
                {
                    user.Subscription = await eventSource.SubscribeAsync(userId, this);
                    metrics.StreamSubscribed(+1);
                }

                user.Outboxes = [.. user.Outboxes, new ConnectionOutbox(connection, _queueLimit, metrics, logger)];
                metrics.ConnectionOpened();
                CloseOldestOverLimit(userId, user.Outboxes);
                return;
            }
            finally
            {
                user.Gate.Release();
            }
        }
    }

    public async Task RemoveAsync(string userId, string connectionId)
    {
        if (!_users.TryGetValue(userId, out var user))
        {
            return;
        }

        IAsyncDisposable? subscription = null;
        await user.Gate.WaitAsync();
        try
        {
            var remaining = Array.FindAll(user.Outboxes, o => o.ConnectionId != connectionId);
            if (remaining.Length == user.Outboxes.Length)
            {
                return;
            }

            metrics.ConnectionClosed();
            user.Outboxes = remaining;
            if (remaining.Length > 0)
            {
                return;
            }

            user.Closed = true;
            _users.TryRemove(new KeyValuePair<string, UserConnections>(userId, user));
            subscription = user.Subscription;
        }
        finally
        {
            user.Gate.Release();
        }

        if (subscription is not null)
        {
            metrics.StreamSubscribed(-1);
            await subscription.DisposeAsync();
        }
    }

    /// <summary>
    /// A user over <see cref="GatewayOptions.MaxConnectionsPerUser"/> connections here loses the oldest, closed with
    /// <see cref="ConnectionCloseReasons.ConnectionLimit"/> and without reconnecting (it would only push out the next).
    /// </summary>
    private void CloseOldestOverLimit(string userId, ConnectionOutbox[] outboxes)
    {
        var open = outboxes.Where(o => !o.IsClosing).ToArray();
        foreach (var oldest in open.Take(open.Length - _connectionLimit))
        {
            LogConnectionLimit(userId, oldest.ConnectionId, _connectionLimit);
            _ = oldest.CloseAsync(ConnectionCloseReasons.ConnectionLimit, allowReconnect: false);
        }
    }

    /// <summary>Delivers one event to the given users' connections here (direct delivery).</summary>
    public void Deliver(VoiceEvent voiceEvent, string[] userIds)
    {
        SerializedHubMessage? message = null;
        foreach (var userId in userIds)
        {
            if (_users.TryGetValue(userId, out var user))
            {
                message ??= Serialize(voiceEvent);
                foreach (var outbox in user.Outboxes)
                {
                    outbox.Post(message, voiceEvent.EventName);
                }
            }
        }
    }

    /// <summary>Delivers one event to one user's connections here (per-user streams).</summary>
    public void Deliver(VoiceEvent voiceEvent, string userId) => Deliver(voiceEvent, [userId]);

    /// <summary>Closes every connection with a reason; their clients reconnect and re-sync.</summary>
    public async Task CloseAllAsync(string reason)
    {
        var outboxes = _users.Values.SelectMany(u => u.Outboxes).ToArray();
        LogClosingAll(outboxes.Length, reason);
        await Task.WhenAll(outboxes.Select(o => o.CloseAsync(reason)));
    }

    /// <summary>Re-creates every per-user subscription, e.g. after the gateway regained the cluster or lost a silo. Returns how many.</summary>
    public async Task<int> ResubscribeAllAsync()
    {
        if (eventSource is null)
        {
            return 0;
        }

        var count = 0;
        foreach (var (userId, user) in _users)
        {
            await user.Gate.WaitAsync();
            try
            {
                if (user.Closed)
                {
                    continue;
                }

                if (user.Subscription is not null)
                {
                    await user.Subscription.DisposeAsync();
                }

                user.Subscription = await eventSource.SubscribeAsync(userId, this);
                count++;
            }
            finally
            {
                user.Gate.Release();
            }
        }

        LogResubscribed(count);
        return count;
    }

    /// <summary>One serialisation per event and protocol, shared by every connection it goes to.</summary>
    private static SerializedHubMessage Serialize(VoiceEvent voiceEvent) =>
        new(new InvocationMessage(voiceEvent.EventName, [voiceEvent]));

    [LoggerMessage(Level = LogLevel.Information, Message = "User {UserId} is over {Limit} connections on this gateway; closing the oldest, {ConnectionId}")]
    private partial void LogConnectionLimit(string userId, string connectionId, int limit);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Closing all {Count} connections: {Reason}")]
    private partial void LogClosingAll(int count, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Re-subscribed {Count} user event streams")]
    private partial void LogResubscribed(int count);
}

/// <summary>Where events come from when they come per user (the streams delivery mode).</summary>
public interface IUserEventSource
{
    /// <summary>Starts delivering the user's events to <paramref name="registry"/>; disposing stops it.</summary>
    Task<IAsyncDisposable> SubscribeAsync(string userId, ConnectionRegistry registry);
}
