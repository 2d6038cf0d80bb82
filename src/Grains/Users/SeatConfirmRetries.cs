using Microsoft.Extensions.Logging;

namespace DmVoice.Grains.Users;

/// <summary>
/// After a room failed to answer a join or leave, confirms the user's seat with it a few times over
/// the next half minute (<see cref="UserSeat.ConfirmDelays"/>): a write that timed out at the room may
/// still have been stored there. Each round runs <paramref name="confirm"/> (the grain's
/// <see cref="UserVoiceGrain.ConfirmActiveCall"/>) in a turn of the grain's own.
/// </summary>
internal sealed partial class SeatConfirmRetries(Grain grain, Func<Task> confirm, string userId, ILogger logger)
{
    private IGrainTimer? _timer;

    /// <summary>Starts the rounds again from the first delay.</summary>
    public void Start()
    {
        _timer?.Dispose();
        var remaining = new Queue<TimeSpan>(UserSeat.ConfirmDelays);
        _timer = grain.RegisterGrainTimer(
            async () =>
            {
                try
                {
                    await confirm();
                }
                catch (Exception ex)
                {
                    LogConfirmFailed(ex, userId);
                }

                if (remaining.TryDequeue(out var next))
                {
                    _timer?.Change(next, Timeout.InfiniteTimeSpan);
                }
            },
            new GrainTimerCreationOptions { DueTime = remaining.Dequeue(), Period = Timeout.InfiniteTimeSpan, KeepAlive = true });
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "User {UserId}: confirming the active call failed; trying again shortly")]
    private partial void LogConfirmFailed(Exception exception, string userId);
}
