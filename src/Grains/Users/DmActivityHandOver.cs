using DmVoice.Grains.Infrastructure;
using Microsoft.Extensions.Logging;

namespace DmVoice.Grains.Users;

/// <summary>
/// Call starts in the user's DMs, held for the user's DM list (the rules are <see cref="HeldDmActivity"/>'s)
/// and handed to it when due, the user grain's side. The list asks for what is held when it is read, so
/// nothing waits for the hand-over to show. The timer wakes the grain through <paramref name="wake"/>, so the
/// hand-over runs in an ordinary turn (<see cref="HandOverIfDueAsync"/>).
/// </summary>
internal sealed partial class DmActivityHandOver(
    IGrainFactory grains,
    string userId,
    UserVoiceState state,
    TimeSpan delay,
    Func<Task> wake,
    ILogger logger) : IDisposable
{
    /// <summary>
    /// The hand-over's delay bounds deferred work, like <see cref="CoalescedWrites{T}"/>' timers: real time,
    /// not the calls' clock (which a test may hold still). The activity itself is the calls' time.
    /// </summary>
    private static TimeProvider HandOverTime => TimeProvider.System;

    private readonly HeldDmActivity _held = new(state, delay, HandOverTime.GetUtcNow());
    private DeadlineTimer? _timer;

    /// <summary>Whether something is held that the grain's state must keep when it deactivates.</summary>
    public bool Holds => !_held.IsEmpty;

    /// <summary>At activation: what the state holds is handed over one delay from now.</summary>
    public void Start()
    {
        _timer = new DeadlineTimer(HandOverTime, wake);
        _timer.Schedule(_held.Due);
    }

    public void Hold(string dmGroupId, DateTimeOffset at)
    {
        _held.Hold(dmGroupId, at, HandOverTime.GetUtcNow());
        _timer?.Schedule(_held.Due);
    }

    public DmActivityEntry[] Held() => _held.ToArray();

    /// <summary>
    /// Hands what is held to the user's list when due, which stores it before answering. Never throws: on
    /// failure it is held one delay more.
    /// </summary>
    public async Task HandOverIfDueAsync()
    {
        if (!(_held.Due <= HandOverTime.GetUtcNow()))
        {
            // A timer can fire a moment before its time by the wall clock: it must fire again, not be lost.
            _timer?.Schedule(_held.Due);
            return;
        }

        var entries = _held.ToArray();
        try
        {
            await grains.GetGrain<IUserDirectoryGrain>(userId).TakeDmActivity(entries);
            _held.HandedOver(entries);
        }
        catch (Exception ex)
        {
            LogHandOverFailed(ex, userId, entries.Length);
            _held.HandOverFailed(HandOverTime.GetUtcNow());
        }

        _timer?.Schedule(_held.Due);
    }

    /// <summary>At deactivation: no more wake-ups (what is held stays in the grain's state).</summary>
    public void Dispose()
    {
        _timer?.Dispose();
        _timer = null;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "User {UserId}: handing {Count} DM activity record(s) to the DM list failed; trying again later")]
    private partial void LogHandOverFailed(Exception exception, string userId, int count);
}
