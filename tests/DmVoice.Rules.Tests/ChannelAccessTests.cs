namespace DmVoice.Rules.Tests;

/// <summary>A voice channel's creation, changes, access list and invites, and the members' lists owed an update, case by case.</summary>
public sealed class ChannelAccessTests
{
    private static readonly DateTimeOffset T0 = new(2026, 12, 1, 12, 0, 0, TimeSpan.Zero);

    private readonly VoiceChannelState _state = new();
    private readonly ChannelAccess _access;

    public ChannelAccessTests() => _access = new ChannelAccess("ch1", _state, new ChannelRules("ch1", _state));

    private static DmVoiceException Refused(string code, Action action)
    {
        var refused = Assert.Throws<DmVoiceException>(action);
        Assert.Equal(code, refused.Code);
        return refused;
    }

    private void Created(params string[] invitees)
    {
        var (name, toInvite) = _access.CheckCreate("owner", "lobby", ["owner", .. invitees], 5);
        _access.Create("owner", name, 5, toInvite, T0);
    }

    [Fact]
    public void A_creation_invites_everyone_named_but_the_owner_once_each_and_only_the_owner_is_a_member()
    {
        var (name, invitees) = _access.CheckCreate("owner", "  lobby ", ["owner", "b", "c", "b"], 5);
        Assert.Equal("lobby", name);
        Assert.Equal(["b", "c"], invitees);

        _access.Create("owner", name, 5, invitees, T0);

        var channel = _access.Describe();
        Assert.Equal(("ch1", "lobby", "owner", 5, T0), (channel.Id, channel.Name, channel.OwnerId, channel.UserLimit, channel.CreatedAt));
        Assert.Equal(["owner"], channel.MemberIds);
        Assert.Equal(["b", "c"], channel.InvitedIds!);
        Assert.Equal(["owner"], _state.DirectoryAdds);
        Assert.True(_access.OwesDirectory);
    }

    [Fact]
    public void A_creation_is_refused_for_a_channel_that_exists_or_existed_or_with_more_than_the_list_holds()
    {
        Refused(ErrorCodes.LimitReached, () => _access.CheckCreate("owner", "lobby", Enumerable.Range(0, ChannelLimits.MaxMembers).Select(i => $"u{i}").ToArray(), 0));
        Refused(ErrorCodes.ValidationFailed, () => _access.CheckCreate("owner", " ", [], 0));
        Refused(ErrorCodes.ValidationFailed, () => _access.CheckCreate("owner", "lobby", [], ChannelLimits.MaxUserLimit + 1));

        Created();
        Refused(ErrorCodes.ValidationFailed, () => _access.CheckCreate("owner", "lobby", [], 0));
        _access.Delete(["owner"], []);
        Refused(ErrorCodes.ValidationFailed, () => _access.CheckCreate("owner", "lobby", [], 0));
    }

    [Fact]
    public void A_change_that_changes_nothing_says_so_and_a_change_with_neither_field_is_refused()
    {
        Created();

        Refused(ErrorCodes.ValidationFailed, () => _access.Change(new VoiceChannelPatch(null, null)));
        Assert.False(_access.Change(new VoiceChannelPatch("lobby", 5)));
        Assert.True(_access.Change(new VoiceChannelPatch(null, 2)));
        Assert.Equal(("lobby", 2), (_state.Name, _state.UserLimit));
    }

    [Fact]
    public void Only_the_owner_may_manage_the_channel_and_outsiders_find_no_channel()
    {
        Created("b");
        _access.Accept("b");

        _access.EnsureOwner("owner");
        Refused(ErrorCodes.Forbidden, () => _access.EnsureOwner("b"));
        Refused(ErrorCodes.ChannelNotFound, () => _access.EnsureOwner("stranger"));
    }

    [Fact]
    public void Adding_someone_already_listed_or_invited_changes_nothing_and_a_full_list_refuses_invites_too()
    {
        Created("b");
        Assert.False(_access.CheckAdd("owner"));
        Assert.False(_access.CheckAdd("b"));
        Assert.True(_access.CheckAdd("c"));

        _access.Invite(Enumerable.Range(0, ChannelLimits.MaxMembers - 2).Select(i => $"u{i}").ToArray(), T0);
        Refused(ErrorCodes.LimitReached, () => _access.CheckAdd("c"));
    }

    [Fact]
    public void Only_an_invited_user_has_an_invite_and_accepting_it_makes_them_a_member_owed_the_channel_in_their_list()
    {
        Created("b");
        Assert.Equal(T0, _access.InvitedAt("b"));
        Refused(ErrorCodes.ChannelNotFound, () => _access.InvitedAt("c"));

        _access.Accept("b");

        Assert.Equal(["owner", "b"], _state.Members);
        Assert.Empty(_state.Invited);
        Refused(ErrorCodes.ChannelNotFound, () => _access.InvitedAt("b"));
        Assert.Contains("b", _state.DirectoryAdds);
    }

    [Fact]
    public void An_invite_that_ends_is_owed_as_a_removal_and_a_new_invite_cancels_that_removal()
    {
        Created("b");
        _access.EndInvite("b");
        Assert.Equal(["b"], _state.DirectoryRemoves);

        _access.Invite(["b"], T0.AddMinutes(1));
        Assert.Empty(_state.DirectoryRemoves);
        Assert.Equal(T0.AddMinutes(1), _access.InvitedAt("b"));
    }

    [Fact]
    public void Invited_users_are_listed_in_the_order_they_were_invited_then_by_id()
    {
        Created();
        _access.Invite(["z"], T0);
        _access.Invite(["b", "a"], T0.AddSeconds(1));

        Assert.Equal(["z", "a", "b"], _access.InvitedInOrder());
    }

    [Fact]
    public void Taking_someone_off_the_list_comes_to_declining_withdrawing_leaving_or_removing()
    {
        Created("invited", "member");
        _access.Accept("member");

        Assert.Equal(AccessRemoval.DeclineInvite, _access.CheckRemoval("invited", "invited"));
        Assert.Equal(AccessRemoval.WithdrawInvite, _access.CheckRemoval("owner", "invited"));
        Assert.Equal(AccessRemoval.LeaveList, _access.CheckRemoval("member", "member"));
        Assert.Equal(AccessRemoval.RemoveMember, _access.CheckRemoval("owner", "member"));
    }

    [Fact]
    public void Taking_someone_off_the_list_is_refused_to_others_than_the_owner_for_the_owner_and_for_strangers()
    {
        Created("invited", "member");
        _access.Accept("member");

        Refused(ErrorCodes.Forbidden, () => _access.CheckRemoval("member", "invited"));
        Refused(ErrorCodes.ChannelNotFound, () => _access.CheckRemoval("stranger", "member"));
        Refused(ErrorCodes.MemberNotFound, () => _access.CheckRemoval("owner", "stranger"));
        Refused(ErrorCodes.ValidationFailed, () => _access.CheckRemoval("owner", "owner"));
    }

    [Fact]
    public void A_member_who_loses_access_is_owed_the_removal_and_what_was_told_is_no_longer_owed()
    {
        Created("b");
        _access.Accept("b");
        var (adds, removes) = _access.DirectoryOwed();
        Assert.Equal(["owner", "b"], adds);
        Assert.Empty(removes);

        _access.Remove("b");
        Assert.Equal(["owner"], _state.Members);
        Assert.Equal(["owner"], _state.DirectoryAdds);
        Assert.Equal(["b"], _state.DirectoryRemoves);

        _access.DirectoryTold(["owner"], []);
        Assert.Equal(["b"], _state.DirectoryRemoves);
        Assert.True(_access.OwesDirectory);
        _access.DirectoryTold([], ["b"]);
        Assert.False(_access.OwesDirectory);
    }

    [Fact]
    public void Deleting_the_channel_clears_its_list_and_invites_and_owes_every_one_of_them_the_removal()
    {
        Created("b", "c");
        _access.Accept("b");
        _access.DirectoryTold(["owner", "b"], []);

        _access.Delete(["owner", "b"], ["c"]);

        Assert.False(_state.Exists);
        Assert.Empty(_state.Members);
        Assert.Empty(_state.Invited);
        Assert.Equal(["owner", "b", "c"], _state.DirectoryRemoves);
    }

    [Fact]
    public void The_channel_events_carry_the_channel_as_it_is_and_the_invite_as_the_user_sees_it()
    {
        Created("b");

        var updated = _access.Updated(7);
        Assert.Equal(7, updated.Version);
        Assert.Equal(["b"], updated.Channel.InvitedIds!);
        var invited = Assert.IsType<ChannelInvitedEvent>(_access.Invited(T0)(8));
        Assert.Equal(new ChannelInvite("ch1", "lobby", "owner", T0), invited.Invite);
        Assert.Equal(ChannelRemovedReasons.Deleted, _access.Removed(9, ChannelRemovedReasons.Deleted).Reason);
    }
}
