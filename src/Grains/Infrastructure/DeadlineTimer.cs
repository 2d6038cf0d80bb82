namespace DmVoice.Grains.Infrastructure;

/// <summary>
/// One pending wake-up for a grain at the earliest of its persisted deadlines. The callback goes
/// back through the grain's reference, so the work runs as an ordinary, single-threaded grain call.
/// Given a <paramref name="kind"/>, the timer reports to <see cref="OverdueDeadlines"/> a deadline that is
/// long past without its wake-up having completed, and every wake-up that failed.
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
            if (kind is not null)
            {
                OverdueDeadlines.Failed(kind);
                if (_scheduledFor is null)
                {
                    Watch(null);
                }
            }
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
