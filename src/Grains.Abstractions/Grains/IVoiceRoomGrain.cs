namespace DmVoice.Abstractions;

/// <summary>
/// What every voice room (a DM's call, a voice channel) answers: joins, leaves and voice state, and
/// what its members' user grains tell it. Joins come only through <see cref="IUserVoiceGrain"/>, which
/// enforces one call per user across both kinds of room.
/// </summary>
[Alias("DmVoice.IVoiceRoomGrain")]
public interface IVoiceRoomGrain : IGrainWithStringKey
{
    /// <summary>
    /// Adds the user to the room, making it live when nobody is in it. A user who is in already on
    /// another device moves their seat to the device this join names.
    /// </summary>
    /// <param name="session">The user grain's join counter, echoed back when the user is removed.</param>
    /// <param name="routes">The gateways the joiner's devices are on, so the room can reach them at once.</param>
    [Alias("Join")]
    Task<RoomJoin> Join(string userId, JoinRequest request, long session, GatewayRoute[] routes);

    /// <summary>Removes the user from the room. Returns false when the user was not in it.</summary>
    [Alias("Leave")]
    Task<bool> Leave(string userId, string reason);

    /// <summary>
    /// Changes the participant's voice state. With <paramref name="deviceId"/>, only that device may:
    /// a device whose seat moved elsewhere is <see cref="ErrorCodes.NotInCall"/>.
    /// </summary>
    [Alias("UpdateState")]
    Task<VoiceParticipant> UpdateState(string userId, VoiceStatePatch patch, string? deviceId = null);

    /// <summary>
    /// The member's devices are now on these gateways (their user grain, the authority on routes,
    /// says so). Awaited by the user grain, so a device that connected is reachable when it syncs.
    /// Answers the id of the live call the member sees here, or null when there is none, so the
    /// member's index of live calls can drop a stale entry.
    /// </summary>
    [Alias("RoutesChanged")]
    Task<string?> RoutesChanged(string userId, GatewayRoute[] routes);

    /// <summary>
    /// The member's user grain could not keep this room posted: it lost the room's registration in its
    /// index of live calls (the write that would have stored it failed, and the activation went with
    /// it), or a route change could not be told. A live room asks the member again soon (registering
    /// again and learning their routes) rather than at its next member check.
    /// </summary>
    [OneWay]
    [Alias("AskAgain")]
    Task AskAgain(string userId);

    /// <summary>
    /// The user's seat in the live room as the room stored it (the join session that took it last and
    /// its device), or null when the user holds none. Read-only.
    /// </summary>
    [Alias("GetHeldSeat")]
    Task<HeldSeat?> GetHeldSeat(string userId);

    /// <summary>Runs whatever deadline (ring timeout, empty-room grace) is due. Called by the grain's own timer.</summary>
    [Alias("ProcessDeadlines")]
    Task ProcessDeadlines();
}
