namespace DmVoice.Grains.Infrastructure;

/// <summary>
/// One pending wake-up for a grain at the earliest of its persisted deadlines. The callback goes
/// back through the grain's reference, so the work runs as an ordinary, single-threaded grain call.
/// Given a <paramref name="kind"/>, a deadline whose wake-up fails or runs long past it is reported to
/// <see cref="OverdueDeadlines"/> until the grain schedules again or the activation ends.
/// </summary>
internal sealed class DeadlineTimer(TimeProvider time, Func<Task> wake, string? kind = null) : IDisposable
{
    private ITimer? _timer;
    private DateTimeOffset? _scheduledFor;

    public void Schedule(DateTimeOffset? deadline)
    {
        if (deadline == _scheduledFor)
        {
            if (deadline is null)
            {
                // Nothing pending (also after a wake-up that failed: the grain has dealt with it since).
                Watch(null);
            }

            return;
        }

        _timer?.Dispose();
        _timer = null;
        _scheduledFor = deadline;
        if (deadline is not { } at)
        {
            Watch(null);
            return;
        }

        Watch(at);

        var due = at - time.GetUtcNow();
        if (due < TimeSpan.Zero)
        {
            due = TimeSpan.Zero;
        }

        _timer = time.CreateTimer(
            static state => _ = ((DeadlineTimer)state!).FireAsync(), this, due, Timeout.InfiniteTimeSpan);
    }

    private async Task FireAsync()
    {
        _scheduledFor = null;
        try
        {
            await wake();
            if (_scheduledFor is null)
            {
                // Dealt with, and nothing new scheduled.
                Watch(null);
            }
        }
        catch (Exception)
        {
            // The grain logs its own failures; a lost wake-up is repaired by the next schedule or reminder.
            // Until then the deadline stays reported, and becomes overdue.
        }
    }

    private void Watch(DateTimeOffset? due)
    {
        if (kind is null)
        {
            return;
        }

        if (due is { } at)
        {
            OverdueDeadlines.Track(this, kind, at, time);
        }
        else
        {
            OverdueDeadlines.Clear(this);
        }
    }

    public void Dispose()
    {
        _timer?.Dispose();
        _timer = null;
        _scheduledFor = null;
        Watch(null);
    }
}
