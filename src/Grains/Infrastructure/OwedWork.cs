namespace DmVoice.Grains.Infrastructure;

/// <summary>
/// Work a grain owes others and keeps trying until it is done (membership pushed to a call and to
/// directories, channel lists updated): what is owed is stored by the grain with the change that
/// caused it; this runs it now and, after a failure, again on a grain timer with <see cref="Backoff"/>.
/// One instance per kind of owed work in a grain. The attempt runs as a turn of the grain (a timer
/// callback or the caller's own turn), so it may read and write the grain's state.
/// </summary>
internal sealed class OwedWork(IGrainBase grain, Backoff backoff, Func<Task> attempt, Action<Exception, TimeSpan> onFailure)
{
    private IGrainTimer? _retry;
    private int _failures;

    /// <summary>Tries now; on failure logs, arms the next try and returns (never throws).</summary>
    public async Task RunAsync()
    {
        try
        {
            await attempt();
            _retry?.Dispose();
            _retry = null;
            _failures = 0;
        }
        catch (Exception ex)
        {
            _failures++;
            var delay = backoff.After(_failures);
            onFailure(ex, delay);
            Schedule(delay);
        }
    }

    /// <summary>Arms a try after the backoff's first delay (an activation that finds work still owed).</summary>
    public void ScheduleSoon() => Schedule(backoff.After(Math.Max(_failures, 1)));

    private void Schedule(TimeSpan delay)
    {
        _retry?.Dispose();
        _retry = grain.RegisterGrainTimer(
            _ => RunAsync(),
            new GrainTimerCreationOptions { DueTime = delay, Period = Timeout.InfiniteTimeSpan, KeepAlive = true });
    }
}
