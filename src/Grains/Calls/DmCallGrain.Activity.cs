namespace DmVoice.Grains.Calls;

/// <summary>A call that starts is activity in its DM: the DM moves up in every member's list of DMs.</summary>
public sealed partial class DmCallGrain
{
    /// <summary>After the commit, one-way: the members' directories never hold up the call.</summary>
    private void AnnounceCallActivity(DateTimeOffset at)
    {
        foreach (var userId in State.Members)
        {
            GrainFactory.GetGrain<IUserDirectoryGrain>(userId).DmActivity(DmGroupId, at).Ignore();
        }
    }
}
