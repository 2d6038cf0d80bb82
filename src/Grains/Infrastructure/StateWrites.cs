namespace DmVoice.Grains.Infrastructure;

/// <summary>
/// How DmVoice grains write: a turn changes state in memory, then writes it. When the write fails
/// (storage down or paused, an ETag conflict), the activation is dropped, so what the failed turn
/// changed in memory — state, queued events, the <c>version</c>, in-memory bookkeeping — does not
/// survive: the next call reloads the last stored state. The error goes back to the caller.
/// </summary>
internal static class StateWrites
{
    public static async Task WriteOrDropAsync<T>(this IPersistentState<T> state, IGrainBase grain)
    {
        try
        {
            await state.WriteStateAsync();
        }
        catch
        {
            grain.DeactivateOnIdle();
            throw;
        }
    }
}
