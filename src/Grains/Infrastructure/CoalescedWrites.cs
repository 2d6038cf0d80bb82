using Microsoft.Extensions.Logging;

namespace DmVoice.Grains.Infrastructure;

/// <summary>
/// One grain state whose small, rebuildable changes are not written on their own (a user's index of
/// the live calls they can see, a DM's latest activity): such a change is only marked
/// (<see cref="Changed"/>), and the grain's next write (<see cref="WriteAsync"/>, which every write
/// of that state goes through) stores it with everything else. Should no write come within the delay,
/// a grain timer writes it; deactivation writes what is still owed, as a best effort. The timer's turn
/// does not interleave, so it never overlaps another write, and a call that interleaves may mark a
/// change without writing. Once a write of the activation failed, nothing more is written by this: the
/// activation is being dropped with what it changed, as after every failed write.
/// </summary>
/// <param name="written">
/// Told of every write: called as it starts, it returns what to call once it ended, with whether it
/// was stored (a grain that must know which of its changes a failed write took with it).
/// </param>
internal sealed class CoalescedWrites<T>(IGrainBase grain, IPersistentState<T> state, TimeSpan delay, ILogger logger, Func<Action<bool>>? written = null)
{
    private IGrainTimer? _flush;
    private bool _failed;

    /// <summary>Whether a change is waiting to be stored.</summary>
    public bool Pending { get; private set; }

    /// <summary>
    /// Marks a change to store with the next write. With <paramref name="withinDelay"/>, it is written on
    /// its own should no other write come within the delay; without, it waits for the next write or for
    /// deactivation (for a change whose loss costs nothing but a later repair).
    /// </summary>
    public void Changed(bool withinDelay = true)
    {
        Pending = true;
        if (withinDelay && _flush is null && !_failed)
        {
            _flush = grain.RegisterGrainTimer(
                FlushAsync,
                new GrainTimerCreationOptions { DueTime = delay, Period = Timeout.InfiniteTimeSpan, Interleave = false });
        }
    }

    /// <summary>Writes the state, with whatever change is pending; a failure drops the activation (<see cref="StateWrites"/>).</summary>
    public async Task WriteAsync()
    {
        Pending = false;
        StopFlush();
        var ended = written?.Invoke();
        try
        {
            await state.WriteOrDropAsync(grain);
        }
        catch
        {
            _failed = true;
            ended?.Invoke(false);
            throw;
        }

        ended?.Invoke(true);
    }

    /// <summary>At deactivation: stores what is still owed, unless a write failed. Never throws.</summary>
    public async Task FlushOnDeactivateAsync()
    {
        StopFlush();
        if (!Pending || _failed)
        {
            return;
        }

        var ended = written?.Invoke();
        try
        {
            Pending = false;
            await state.WriteStateAsync();
        }
        catch (Exception ex)
        {
            CoalescedWritesLog.FlushFailed(logger, ex, grain.GrainContext.GrainId);
            ended?.Invoke(false);
            return;
        }

        ended?.Invoke(true);
    }

    private async Task FlushAsync(CancellationToken cancellationToken)
    {
        StopFlush();
        if (!Pending || _failed)
        {
            return;
        }

        try
        {
            await WriteAsync();
        }
        catch (Exception ex)
        {
            // The activation is dropped with the change; whoever keeps the state up to date repairs it.
            CoalescedWritesLog.FlushFailed(logger, ex, grain.GrainContext.GrainId);
        }
    }

    private void StopFlush()
    {
        _flush?.Dispose();
        _flush = null;
    }
}

internal static partial class CoalescedWritesLog
{
    [LoggerMessage(Level = LogLevel.Warning, Message = "{GrainId}: storing deferred changes failed; they are rebuilt by their owners")]
    public static partial void FlushFailed(ILogger logger, Exception exception, GrainId grainId);
}
