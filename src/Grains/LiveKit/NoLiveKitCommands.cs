namespace DmVoice.Grains.LiveKit;

/// <summary>Used when no media server is configured (the embedded default): calls work, media is someone else's.</summary>
public sealed class NoLiveKitCommands : ILiveKitCommands
{
    public void RemoveParticipant(string dmGroupId, string userId)
    {
    }

    public void DeleteRoom(string dmGroupId)
    {
    }

    public void CancelPending(string dmGroupId, string userId)
    {
    }
}
