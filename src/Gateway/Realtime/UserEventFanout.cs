using DmVoice.Gateway.Observability;
using Microsoft.AspNetCore.SignalR;
using Orleans.Streams;

namespace DmVoice.Gateway.Realtime;

/// <summary>
/// One Orleans stream subscription per connected user per gateway, shared by all of that user's
/// connections here and dropped with the last one. Each event goes to every connection of the
/// user. After the gateway regains the cluster, every subscription is made again.
/// </summary>
public sealed partial class UserEventFanout(
    IClusterClient cluster,
    IHubContext<VoiceHub, IVoiceClient> hub,
    GatewayMetrics metrics,
    ILogger<UserEventFanout> logger) : IClusterConnectionStatusObserver, IAsyncDisposable
{
    private readonly Dictionary<string, UserSubscription> _users = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _gate = new(1, 1);

    private sealed class UserSubscription
    {
        public int Connections;
        public StreamSubscriptionHandle<VoiceEvent>? Handle;
    }

    /// <summary>Users with at least one connection on this gateway.</summary>
    public int SubscribedUsers
    {
        get
        {
            lock (_users)
            {
                return _users.Count;
            }
        }
    }

    /// <summary>Whether this gateway listens to the user's events (has at least one of their connections).</summary>
    public bool IsListening(string userId)
    {
        lock (_users)
        {
            return _users.ContainsKey(userId);
        }
    }

    public async Task AddConnectionAsync(string userId, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            if (!_users.TryGetValue(userId, out var subscription))
            {
                subscription = new UserSubscription();
                subscription.Handle = await SubscribeAsync(userId);
                lock (_users)
                {
                    _users[userId] = subscription;
                }

                metrics.StreamSubscribed(+1);
            }

            subscription.Connections++;
            metrics.ConnectionOpened();
        }
        finally
        {
            _gate.Release();
        }
    }

    public async Task RemoveConnectionAsync(string userId)
    {
        await _gate.WaitAsync();
        try
        {
            metrics.ConnectionClosed();
            if (!_users.TryGetValue(userId, out var subscription) || --subscription.Connections > 0)
            {
                return;
            }

            lock (_users)
            {
                _users.Remove(userId);
            }

            metrics.StreamSubscribed(-1);
            await UnsubscribeQuietlyAsync(userId, subscription.Handle);
        }
        finally
        {
            _gate.Release();
        }
    }

    private Task<StreamSubscriptionHandle<VoiceEvent>> SubscribeAsync(string userId)
    {
        var stream = cluster.GetStreamProvider(VoiceStreams.ProviderName).GetStream<VoiceEvent>(VoiceStreams.ForUser(userId));
        var client = hub.Clients.User(userId);
        return stream.SubscribeAsync(async (voiceEvent, _) =>
        {
            try
            {
                await client.Deliver(voiceEvent);
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
        await _gate.WaitAsync();
        try
        {
            foreach (var (userId, subscription) in _users)
            {
                await UnsubscribeQuietlyAsync(userId, subscription.Handle);
                subscription.Handle = await SubscribeAsync(userId);
            }

            LogResubscribed(_users.Count);
        }
        finally
        {
            _gate.Release();
        }
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
        _gate.Dispose();
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
