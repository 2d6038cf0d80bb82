namespace DmVoice.Grains.Infrastructure;

/// <summary>
/// One pending wake-up for a grain at the earliest of its persisted deadlines. The callback goes
/// back through the grain's reference, so the work runs as an ordinary, single-threaded grain call.
/// </summary>
internal sealed class DeadlineTimer(TimeProvider time, Func<Task> wake) : IDisposable
{
    private ITimer? _timer;
    private DateTimeOffset? _scheduledFor;

    public void Schedule(DateTimeOffset? deadline)
    {
        if (deadline == _scheduledFor)
        {
            return;
        }

        _timer?.Dispose();
        _timer = null;
        _scheduledFor = deadline;
        if (deadline is not { } at)
        {
            return;
        }

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
        }
        catch (Exception)
        {
            // The grain logs its own failures; a lost wake-up is repaired by the next schedule or reminder.
        }
    }

    public void Dispose()
    {
        _timer?.Dispose();
        _timer = null;
        _scheduledFor = null;
    }
}
