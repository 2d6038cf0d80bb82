using Microsoft.Extensions.Logging;

namespace DmVoice.Grains.Users;

/// <summary>
/// Call starts in the user's DMs, held for the user's DM list (<see cref="HeldDmActivity"/>) and handed to
/// it when due. The list asks for what is held when it is read, so nothing waits for the hand-over to show.
/// </summary>
public sealed partial class UserVoiceGrain
{
    /// <summary>
    /// The hand-over's delay bounds deferred work, like <see cref="Infrastructure.CoalescedWrites{T}"/>' timers:
    /// real time, not the calls' clock (which a test may hold still). The activity itself is the calls' time.
    /// </summary>
    private static TimeProvider HandOverTime => TimeProvider.System;

    public Task DmActivity(string dmGroupId, DateTimeOffset at)
    {
        _heldDmActivity.Hold(dmGroupId, at, HandOverTime.GetUtcNow());
        _handOverTimer?.Schedule(_heldDmActivity.Due);
        return Task.CompletedTask;
    }

    public Task<DmActivityEntry[]> GetHeldDmActivity() => Task.FromResult(_heldDmActivity.ToArray());

    /// <summary>
    /// Hands what is held to the user's list, which stores it before answering. Never throws: on failure it
    /// is held one delay more.
    /// </summary>
    private async Task HandOverDmActivityAsync()
    {
        if (_heldDmActivity.IsEmpty)
        {
            return;
        }

        var entries = _heldDmActivity.ToArray();
        try
        {
            await GrainFactory.GetGrain<IUserDirectoryGrain>(UserId).TakeDmActivity(entries);
            _heldDmActivity.HandedOver(entries);
        }
        catch (Exception ex)
        {
            LogDmActivityHandOverFailed(ex, UserId, entries.Length);
            _heldDmActivity.HandOverFailed(HandOverTime.GetUtcNow());
        }

        _handOverTimer?.Schedule(_heldDmActivity.Due);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "User {UserId}: handing {Count} DM activity record(s) to the DM list failed; trying again later")]
    private partial void LogDmActivityHandOverFailed(Exception exception, string userId, int count);
}
