namespace DmVoice.Grains.Calls;

/// <summary>
/// The DM's members as the group grain pushes them. Members who left the DM leave the call and stop
/// ringing (<c>removed</c>); members who joined it see a live call from now on.
/// </summary>
public sealed partial class DmCallGrain
{
    public async Task SyncMembers(IReadOnlyList<string> memberIds, bool isGroup)
    {
        var removed = State.Members.Except(memberIds, StringComparer.Ordinal).ToArray();
        var added = memberIds.Except(State.Members, StringComparer.Ordinal).ToArray();
        if (State.Call is { } live && added.Length > 0)
        {
            // New members see the live call from now on; asked before anything changes.
            await AttachMembersAsync(live.CallId, added);
        }

        State.Known = memberIds.Count > 0;
        State.Members = memberIds.ToList();
        State.IsGroup = isGroup;
        RemoveFormerMembers(removed, (call, userId, audience) =>
        {
            if (((LiveCallState)call).FindRing(userId) is { } ring)
            {
                StopRing((LiveCallState)call, ring, RingOutcomes.Removed, audience);
            }
        });

        await CommitAsync();
    }
}
