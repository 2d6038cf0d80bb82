using System.Collections.Concurrent;
using DmVoice.Gateway.Observability;
using Microsoft.AspNetCore.SignalR;
using Orleans.Streams;

namespace DmVoice.Gateway.Realtime;

/// <summary>
/// One Orleans stream subscription per connected user per gateway, shared by all of that user's
/// connections here and dropped with the last one. Each event goes to every connection of the
/// user, addressed by connection id: SignalR's default lifetime manager finds a connection id with
/// one lookup but a user id by scanning every connection of the gateway (docs/BENCHMARKS.md).
/// After the gateway regains the cluster, every subscription is made again.
/// </summary>
public sealed partial class UserEventFanout(
    IClusterClient cluster,
    IHubContext<VoiceHub, IVoiceClient> hub,
    GatewayMetrics metrics,
    ILogger<UserEventFanout> logger) : IClusterConnectionStatusObserver, IAsyncDisposable
{
    private readonly ConcurrentDictionary<string, UserSubscription> _users = new(StringComparer.Ordinal);

    /// <summary>Per-user state; its gate serialises one user's connects and disconnects only.</summary>
    private sealed class UserSubscription
    {
        public readonly SemaphoreSlim Gate = new(1, 1);
        public int Connections;

        /// <summary>The user's connection ids here; replaced (never mutated) under the gate, read by deliveries.</summary>
        public volatile string[] ConnectionIds = [];
        public bool Closed;
        public StreamSubscriptionHandle<VoiceEvent>? Handle;
    }

    /// <summary>Whether this gateway listens to the user's events (has at least one of their connections).</summary>
    public bool IsListening(string userId) => _users.ContainsKey(userId);

    public async Task AddConnectionAsync(string userId, string connectionId, CancellationToken cancellationToken)
    {
        while (true)
        {
            var subscription = _users.GetOrAdd(userId, static _ => new UserSubscription());
            await subscription.Gate.WaitAsync(cancellationToken);
            try
            {
                if (subscription.Closed)
                {
                    continue; // The last connection closed while we waited: start over with a fresh entry.
                }

                if (subscription.Handle is null)
                {
                    subscription.Handle = await SubscribeAsync(userId, subscription);
                    metrics.StreamSubscribed(+1);
                }

                subscription.Connections++;
                subscription.ConnectionIds = [.. subscription.ConnectionIds, connectionId];
                metrics.ConnectionOpened();
                return;
            }
            finally
            {
                subscription.Gate.Release();
            }
        }
    }

    public async Task RemoveConnectionAsync(string userId, string connectionId)
    {
        if (!_users.TryGetValue(userId, out var subscription))
        {
            return;
        }

        await subscription.Gate.WaitAsync();
        try
        {
            metrics.ConnectionClosed();
            subscription.ConnectionIds = Array.FindAll(subscription.ConnectionIds, id => id != connectionId);
            if (--subscription.Connections > 0)
            {
                return;
            }

            subscription.Closed = true;
            _users.TryRemove(new KeyValuePair<string, UserSubscription>(userId, subscription));
            metrics.StreamSubscribed(-1);
            await UnsubscribeQuietlyAsync(userId, subscription.Handle);
        }
        finally
        {
            subscription.Gate.Release();
        }
    }

    private Task<StreamSubscriptionHandle<VoiceEvent>> SubscribeAsync(string userId, UserSubscription subscription)
    {
        var stream = cluster.GetStreamProvider(VoiceStreams.ProviderName).GetStream<VoiceEvent>(VoiceStreams.ForUser(userId));
        return stream.SubscribeAsync(async (voiceEvent, _) =>
        {
            try
            {
                var connectionIds = subscription.ConnectionIds;
                await (connectionIds.Length == 1
                    ? hub.Clients.Client(connectionIds[0]).Deliver(voiceEvent)
                    : Task.WhenAll(connectionIds.Select(id => hub.Clients.Client(id).Deliver(voiceEvent))));
                metrics.EventDelivered(voiceEvent.EventName);
            }
            catch (Exception ex)
            {
                LogDeliveryFailed(ex, voiceEvent.EventName, userId);
            }
        });
    }

    private async Task UnsubscribeQuietlyAsync(string userId, StreamSubscriptionHandle<VoiceEvent>? handle)
    {
        if (handle is null)
        {
            return;
        }

        try
        {
            await handle.UnsubscribeAsync();
        }
        catch (Exception ex)
        {
            LogUnsubscribeFailed(ex, userId);
        }
    }

    /// <summary>Re-creates every subscription, e.g. after the gateway lost and regained the cluster.</summary>
    public async Task ResubscribeAllAsync()
    {
        var count = 0;
        foreach (var (userId, subscription) in _users)
        {
            await subscription.Gate.WaitAsync();
            try
            {
                if (subscription.Closed)
                {
                    continue;
                }

                await UnsubscribeQuietlyAsync(userId, subscription.Handle);
                subscription.Handle = await SubscribeAsync(userId, subscription);
                count++;
            }
            finally
            {
                subscription.Gate.Release();
            }
        }

        LogResubscribed(count);
    }

    public void NotifyClusterConnectionLost() => LogClusterLost();

    public void NotifyGatewayCountChanged(int currentNumberOfGateways, int previousNumberOfGateways, bool connectionRecovered)
    {
        if (connectionRecovered)
        {
            _ = Task.Run(async () =>
            {
                try
                {
                    await ResubscribeAllAsync();
                }
                catch (Exception ex)
                {
                    LogResubscribeFailed(ex);
                }
            });
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var (userId, subscription) in _users)
        {
            await UnsubscribeQuietlyAsync(userId, subscription.Handle);
        }

        _users.Clear();
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Delivering {EventName} to {UserId} failed")]
    private partial void LogDeliveryFailed(Exception exception, string eventName, string userId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Unsubscribing the event stream of {UserId} failed")]
    private partial void LogUnsubscribeFailed(Exception exception, string userId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Re-subscribed {Count} user event streams after the cluster connection recovered")]
    private partial void LogResubscribed(int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Lost the connection to the cluster; events pause until it returns")]
    private partial void LogClusterLost();

    [LoggerMessage(Level = LogLevel.Error, Message = "Re-subscribing user event streams failed")]
    private partial void LogResubscribeFailed(Exception exception);
}
