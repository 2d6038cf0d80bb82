namespace DmVoice.Grains.Infrastructure;

/// <summary>
/// How DmVoice grains write: a turn changes state in memory, then writes it. When the write fails
/// (storage down or paused, an ETag conflict), the activation is dropped, so what the failed turn
/// changed in memory — state, queued events, the <c>version</c>, in-memory bookkeeping — does not
/// survive: the next call reloads the last stored state. The error goes back to the caller.
/// </summary>
internal static class StateWrites
{
    public static Task WriteOrDropAsync<T>(this IPersistentState<T> state, IGrainBase grain) =>
        grain.OrDropAsync(() => state.WriteStateAsync());

    /// <summary>
    /// A step of a turn that has changed state in memory and not stored it yet, such as registering
    /// the reminder that wakes the grain after a restart before the write: when it fails, the
    /// activation is dropped as after a failed write, so nobody reads a change that was never stored.
    /// </summary>
    public static async Task OrDropAsync(this IGrainBase grain, Func<Task> step)
    {
        try
        {
            await step();
        }
        catch
        {
            grain.DeactivateOnIdle();
            throw;
        }
    }
}
