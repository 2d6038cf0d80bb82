using DmVoice.Grains.Infrastructure;
using DmVoice.Gateway.Observability;
using DmVoice.Gateway.Problems;

namespace DmVoice.Gateway.Realtime;

/// <summary>
/// Tells a user's grain that one of their devices on this gateway closed. A device the grain still
/// counts keeps its user in a call for as long as this gateway holds its lease, so a close that meets a
/// transient fault (the grain's silo failing over, storage unreachable) is retried in the background
/// until it goes through. Retrying is safe: closing a connection key twice is the same as once.
/// </summary>
public sealed partial class DevicePresence(
    IGrainFactory grains,
    GatewayMetrics metrics,
    IHostApplicationLifetime lifetime,
    TimeProvider time,
    ILogger<DevicePresence> logger)
{
    private static readonly Backoff RetryBackoff = new(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(10));

    /// <summary>About five minutes of tries; by then a gateway that still cannot reach the user grain has lost its lease.</summary>
    private const int MaxAttempts = 32;

    public async Task ConnectionClosedAsync(string userId, string connectionKey)
    {
        try
        {
            await SendAsync(userId, connectionKey);
        }
        catch (Exception ex) when (TransientFaults.IsTransient(ex))
        {
            LogWillRetry(userId, ex.GetType().Name, ex.Message);
            _ = RetryAsync(userId, connectionKey);
        }
    }

    private async Task SendAsync(string userId, string connectionKey)
    {
        await grains.GetGrain<IUserVoiceGrain>(userId).ConnectionClosed(connectionKey);
        metrics.PresenceMessage("connection_closed");
    }

    private async Task RetryAsync(string userId, string connectionKey)
    {
        var stopping = lifetime.ApplicationStopping;
        for (var attempt = 1; attempt <= MaxAttempts; attempt++)
        {
            try
            {
                await Task.Delay(RetryBackoff.After(attempt), time, stopping);
                metrics.PresenceMessage("connection_closed_retry");
                await SendAsync(userId, connectionKey);
                LogDelivered(userId, attempt);
                return;
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested)
            {
                // The gateway is stopping and releases its lease: every device here goes with it.
                return;
            }
            catch (Exception ex) when (TransientFaults.IsTransient(ex))
            {
                // Tried again after the next, longer wait.
            }
            catch (Exception ex)
            {
                LogFailed(ex, userId);
                return;
            }
        }

        LogGaveUp(userId, MaxAttempts);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Telling {UserId}'s grain that a device closed met a transient fault ({Fault}: {Detail}); retrying in the background")]
    private partial void LogWillRetry(string userId, string fault, string detail);

    [LoggerMessage(Level = LogLevel.Information, Message = "{UserId}'s grain heard that a device closed, on retry {Attempt}")]
    private partial void LogDelivered(string userId, int attempt);

    [LoggerMessage(Level = LogLevel.Error, Message = "Telling {UserId}'s grain that a device closed failed")]
    private partial void LogFailed(Exception exception, string userId);

    [LoggerMessage(Level = LogLevel.Error, Message = "Gave up telling {UserId}'s grain that a device closed after {Attempts} tries; the gateway's lease decides now")]
    private partial void LogGaveUp(string userId, int attempts);
}
