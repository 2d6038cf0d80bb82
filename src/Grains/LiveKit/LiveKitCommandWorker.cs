using DmVoice.LiveKit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace DmVoice.Grains.LiveKit;

/// <summary>
/// Sends the queued RoomService commands to LiveKit, several at a time so one failing room cannot hold up the
/// others. A transient failure (LiveKit unreachable, 5xx, timeout) is retried with exponential backoff
/// (<see cref="LiveKitSyncOptions.CommandRetryDelay"/> doubling up to <see cref="LiveKitSyncOptions.CommandRetryMaxDelay"/>)
/// until <see cref="LiveKitSyncOptions.CommandMaxAttempts"/> or <see cref="LiveKitSyncOptions.CommandMaxAge"/>;
/// anything else (bad credentials, a rejected request) is logged and given up at once.
/// </summary>
public sealed class LiveKitCommandWorker(
    LiveKitCommandQueue queue,
    IServiceProvider services,
    IOptions<LiveKitSyncOptions> options,
    ILogger<LiveKitCommandWorker> logger) : BackgroundService
{
    /// <summary>Commands in flight at once (each may be waiting out a backoff).</summary>
    public const int MaxConcurrency = 16;

    // Never disposed: commands finishing after shutdown still release their slot (SemaphoreSlim holds no handle).
    private readonly SemaphoreSlim _slots = new(MaxConcurrency, MaxConcurrency);
    private readonly TimeProvider _time = TimeProvider.System;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await foreach (var command in queue.Reader.ReadAllAsync(stoppingToken))
            {
                await _slots.WaitAsync(stoppingToken);
                _ = RunAsync(command, stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Shutting down.
        }
        finally
        {
            queue.Complete();
            if (queue.PendingCount > 0)
            {
                logger.LogWarning("Stopping with {Count} LiveKit commands not sent", queue.PendingCount);
            }
        }
    }

    private async Task RunAsync(LiveKitCommand command, CancellationToken ct)
    {
        var settings = options.Value;
        var delay = settings.CommandRetryDelay;
        try
        {
            for (var attempt = 1; ; attempt++)
            {
                if (command.IsCancelled)
                {
                    logger.LogDebug("LiveKit command {Command} is stale and was not sent", command);
                    return;
                }

                try
                {
                    await ExecuteAsync(command, ct);
                    if (attempt > 1)
                    {
                        logger.LogInformation("LiveKit command {Command} succeeded on attempt {Attempt}", command, attempt);
                    }

                    return;
                }
                catch (OperationCanceledException) when (ct.IsCancellationRequested)
                {
                    return;
                }
                catch (Exception ex) when (IsTransient(ex))
                {
                    var age = _time.GetUtcNow() - command.EnqueuedAt;
                    if (attempt >= settings.CommandMaxAttempts || age + delay > settings.CommandMaxAge)
                    {
                        logger.LogError(ex, "LiveKit command {Command} given up after {Attempts} attempts over {Age}", command, attempt, age);
                        return;
                    }

                    logger.LogWarning("LiveKit command {Command} failed (attempt {Attempt}: {Error}); retrying in {Delay}", command, attempt, ex.Message, delay);
                    await Task.Delay(delay, _time, ct);
                    delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, settings.CommandRetryMaxDelay.Ticks));
                }
                catch (Exception ex)
                {
                    logger.LogError(ex, "LiveKit command {Command} failed and will not be retried", command);
                    return;
                }
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // Shutting down during a backoff.
        }
        finally
        {
            queue.Done(command);
            _slots.Release();
        }
    }

    private async Task ExecuteAsync(LiveKitCommand command, CancellationToken ct)
    {
        // Typed HttpClients are meant to be resolved per use (transient), so handler rotation works.
        var rooms = services.GetRequiredService<ILiveKitRoomService>();
        var room = LiveKitRooms.ForDm(command.DmGroupId);
        switch (command.Kind)
        {
            case LiveKitCommandKind.RemoveParticipant:
                await rooms.RemoveParticipantAsync(room, command.UserId!, ct);
                break;
            case LiveKitCommandKind.DeleteRoom:
                await rooms.DeleteRoomAsync(room, ct);
                break;
        }
    }

    /// <summary>Worth retrying: LiveKit down or overloaded, not "your request is wrong".</summary>
    internal static bool IsTransient(Exception ex) => ex switch
    {
        LiveKitUnavailableException => true,
        TwirpException twirp => (int)twirp.StatusCode >= 500 || twirp.Code is TwirpErrorCodes.Unavailable or TwirpErrorCodes.Internal,
        HttpRequestException => true,
        TimeoutException => true,
        OperationCanceledException => true, // a request timeout; shutdown is filtered out before this
        _ => false,
    };
}
