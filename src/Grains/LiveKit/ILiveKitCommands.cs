namespace DmVoice.Grains.LiveKit;

/// <summary>
/// Commands to the media server that follow from call changes. Fire-and-forget from the grain's
/// point of view: a join or leave never waits on the media server.
/// </summary>
public interface ILiveKitCommands
{
    /// <summary>Disconnects the user's media from the DM's room.</summary>
    void RemoveParticipant(string dmGroupId, string userId);

    /// <summary>Closes the DM's room, so a token issued earlier cannot rejoin a finished call.</summary>
    void DeleteRoom(string dmGroupId);

    /// <summary>
    /// The user (re)joined the DM's call: a still pending removal of them from the room, or deletion of
    /// the room, is stale now and must not run late (e.g. when LiveKit comes back after an outage).
    /// Default: nothing to cancel (for implementations that do not queue).
    /// </summary>
    void CancelPending(string dmGroupId, string userId)
    {
    }
}
