using DmVoice.Tests.Infrastructure;
using DmVoice.TestSupport.Orleans;

namespace DmVoice.Tests.Grains;

/// <summary>
/// A request whose write fails changes nothing: no state, no event, no version and no count survives
/// it, and a change that spans grains either completes everywhere or is undone (storage faults are
/// planned per grain with <see cref="StorageFaults"/>).
/// </summary>
[Collection(FaultyStorageClusterCollection.Name)]
public sealed class FailedWriteTests(FaultyStorageClusterFixture fx)
{
    [Fact]
    public async Task A_call_start_that_cannot_be_stored_leaves_no_call_no_ring_no_event_and_no_active_call()
    {
        var (a, b) = (TestIds.User("a"), TestIds.User("b"));
        var dm = await fx.CreateDmAsync(a, b);
        await using var bEvents = await EventRecorder.SubscribeAsync(fx.Client, b);
        fx.Faults.FailWrites("call", dm.Id);

        await FailsToStore(() => fx.JoinAsync(a, dm.Id));

        var presence = await fx.Call(dm.Id).GetPresence(b);
        Assert.Null(presence.CallId);
        Assert.Empty(presence.Ringing);
        Assert.Equal(0, presence.Version);
        Assert.Null(await fx.User(a).GetSeat());
        await Eventually.GetAsync(() => fx.User(b).GetLiveCalls(), calls => calls.Count == 0, "b's index to forget the call that never started");

        // Trying again starts the call with the first version: the failed attempt left no gap.
        var call = await fx.JoinAsync(a, dm.Id);
        var started = await bEvents.WaitForAsync<CallStartedEvent>(e => e.CallId == call.CallId);
        Assert.Equal(1, started.Version);
        Assert.Single(bEvents.OfType<CallStartedEvent>());
    }

    [Fact]
    public async Task Call_starts_that_cannot_be_stored_spend_none_of_the_callers_rings_of_the_others()
    {
        var (a, b) = (TestIds.User("a"), TestIds.User("b"));
        var dm = await fx.CreateDmAsync(a, b);

        // More failed starts than the per-caller limit of 5 a minute allows rings.
        for (var i = 0; i < 6; i++)
        {
            fx.Faults.FailWrites("call", dm.Id);
            await FailsToStore(() => fx.JoinAsync(a, dm.Id));
        }

        var call = await fx.JoinAsync(a, dm.Id);
        Assert.True(call.NotRung is null or { Count: 0 }, "b was rung, not refused as rung too often");
        Assert.Equal([b], (await fx.Call(dm.Id).GetPresence(a)).Ringing.Select(r => r.UserId));
    }

    [Fact]
    public async Task A_join_whose_user_side_cannot_be_stored_is_undone_in_the_call()
    {
        var (a, b, c) = (TestIds.User("a"), TestIds.User("b"), TestIds.User("c"));
        var dm = await fx.CreateDmAsync(a, b, c);
        await using var aEvents = await EventRecorder.SubscribeAsync(fx.Client, a);
        await fx.JoinAsync(a, dm.Id);
        fx.Faults.FailWrites("voice", b);

        await FailsToStore(() => fx.JoinAsync(b, dm.Id));

        Assert.Equal([a], (await fx.Call(dm.Id).GetPresence(a)).Participants.Select(p => p.UserId));
        Assert.Null(await fx.User(b).GetSeat());
        var left = await aEvents.WaitForAsync<UserLeftEvent>(e => e.UserId == b);
        Assert.Equal(LeaveReasons.Left, left.Reason);
    }

    [Fact]
    public async Task A_state_change_that_cannot_be_stored_is_not_published_and_the_next_one_takes_its_version()
    {
        var (a, b) = (TestIds.User("a"), TestIds.User("b"));
        var dm = await fx.CreateDmAsync(a, b);
        await using var bEvents = await EventRecorder.SubscribeAsync(fx.Client, b);
        await fx.JoinAsync(a, dm.Id);
        var before = await fx.Call(dm.Id).GetPresence(b);
        fx.Faults.FailWrites("call", dm.Id);

        await FailsToStore(() => fx.Call(dm.Id).UpdateState(a, new VoiceStatePatch(IsMuted: true)));
        var after = await fx.Call(dm.Id).GetPresence(b);
        Assert.False(Assert.Single(after.Participants).IsMuted);
        Assert.Equal(before.Version, after.Version);

        await fx.Call(dm.Id).UpdateState(a, new VoiceStatePatch(IsVideoEnabled: true));
        var updated = await bEvents.WaitForAsync<UserUpdatedEvent>();
        Assert.Equal(before.Version + 1, updated.Version);
        Assert.False(updated.User.IsMuted);
        Assert.True(updated.User.IsVideoEnabled);
        await EventBarrier.FlushAsync(fx.Client, dm.Id, bEvents);
        Assert.DoesNotContain(bEvents.OfType<UserUpdatedEvent>(), e => e.User.IsMuted);
    }

    [Fact]
    public async Task A_ring_that_cannot_be_stored_rings_nobody_and_does_not_count_against_the_caller_s_limit()
    {
        var (a, b, c) = (TestIds.User("a"), TestIds.User("b"), TestIds.User("c"));
        var dm = await fx.CreateDmAsync(a, b, c);
        await fx.JoinAsync(a, dm.Id);
        await fx.Call(dm.Id).StopRinging(a, [b, c]);
        fx.Faults.FailWrites("call", dm.Id);

        await FailsToStore(() => fx.Call(dm.Id).Ring(a, [b]));
        Assert.Empty((await fx.Call(dm.Id).GetPresence(a)).Ringing);

        // A caller rings one recipient five times a minute: the call's start was one, so four more go
        // through, none of them spent by the failed one, and the next is not rung.
        for (var i = 0; i < 4; i++)
        {
            Assert.Single((await fx.Call(dm.Id).Ring(a, [b])).Ringing);
            await fx.Call(dm.Id).Decline(b);
        }

        // Each ring's count goes to b's settings (one-way) before the call answers the decline that follows it.
        var limited = await fx.Call(dm.Id).Ring(a, [b]);
        Assert.Empty(limited.Ringing);
        Assert.Equal(NotRungReasons.RateLimited, Assert.Single(limited.NotRung).Reason);
    }

    [Fact]
    public async Task The_re_ring_limit_holds_after_the_call_grain_is_deactivated()
    {
        var (a, b, c) = (TestIds.User("a"), TestIds.User("b"), TestIds.User("c"));
        var dm = await fx.CreateDmAsync(a, b, c);
        await fx.JoinAsync(a, dm.Id);
        await fx.Call(dm.Id).StopRinging(a, [b, c]);

        // Turn about between b and c, so that neither reaches the caller's limit per recipient.
        for (var i = 0; i < 5; i++)
        {
            var target = i % 2 == 0 ? b : c;
            Assert.Single((await fx.Call(dm.Id).Ring(a, [target])).Ringing);
            await fx.Call(dm.Id).Decline(target);
        }

        await fx.Client.GetGrain<IManagementGrain>(0).ForceActivationCollection(TimeSpan.Zero);

        var limited = await Assert.ThrowsAsync<DmVoiceException>(() => fx.Call(dm.Id).Ring(a, [b]));
        Assert.Equal(ErrorCodes.RateLimited, limited.Code);
    }

    [Fact]
    public async Task A_member_removal_the_call_cannot_store_at_first_still_reaches_the_call_and_the_directory()
    {
        var (a, b, c) = (TestIds.User("a"), TestIds.User("b"), TestIds.User("c"));
        var dm = await fx.CreateDmAsync(a, b, c);
        await using var bEvents = await EventRecorder.SubscribeAsync(fx.Client, b);
        await fx.JoinAsync(a, dm.Id);
        await fx.JoinAsync(b, dm.Id);
        fx.Faults.FailWrites("call", dm.Id);

        // The removal is stored in the group; pushing it to the call fails once and is retried.
        var group = await fx.Group(dm.Id).RemoveMember(a, b);
        Assert.DoesNotContain(b, group!.MemberIds);

        var left = await bEvents.WaitForAsync<UserLeftEvent>(e => e.UserId == b);
        Assert.Equal(LeaveReasons.Removed, left.Reason);
        Assert.Equal([a], (await fx.Call(dm.Id).GetPresence(a)).Participants.Select(p => p.UserId));
        await Eventually.GetAsync(() => fx.Client.GetGrain<IUserDirectoryGrain>(b).ListedDmIdsAsync(), ids => !ids.Contains(dm.Id), "b's directory to drop the DM");
        Assert.True(fx.Faults.AllSpent);
    }

    [Fact]
    public async Task A_seat_whose_join_was_never_stored_on_the_user_side_is_removed_by_the_call()
    {
        var (a, b, c) = (TestIds.User("a"), TestIds.User("b"), TestIds.User("c"));
        var dm = await fx.CreateDmAsync(a, b, c);
        await using var aEvents = await EventRecorder.SubscribeAsync(fx.Client, a);
        await fx.JoinAsync(a, dm.Id);

        // b's grain cannot store the join, and the call cannot store undoing it: a seat nobody holds.
        fx.Faults.FailWrites("voice", b);
        fx.Faults.FailWrites("call", dm.Id, skip: 1);
        await FailsToStore(() => fx.JoinAsync(b, dm.Id));
        Assert.Null(await fx.User(b).GetSeat());

        // The call's activation went away with its failed write; the next one (a client reading the
        // call, or the reminder of a live call in durable mode) checks its members and takes the seat.
        Assert.Equal([a, b], (await fx.Call(dm.Id).GetPresence(a)).Participants.Select(p => p.UserId));
        var left = await aEvents.WaitForAsync<UserLeftEvent>(e => e.UserId == b);
        Assert.Equal(LeaveReasons.Disconnected, left.Reason);
        Assert.Equal([a], (await fx.Call(dm.Id).GetPresence(a)).Participants.Select(p => p.UserId));
    }

    [Fact]
    public async Task A_repeat_join_that_fails_after_the_call_stored_it_keeps_the_user_in_the_call()
    {
        var (a, b) = (TestIds.User("a"), TestIds.User("b"));
        var dm = await fx.CreateDmAsync(a, b);
        await using var bEvents = await EventRecorder.SubscribeAsync(fx.Client, b);
        await using var aEvents = await EventRecorder.SubscribeAsync(fx.Client, a);
        var call = await fx.JoinAsync(a, dm.Id);
        await fx.JoinAsync(b, dm.Id);

        // a's client retries the join (a reload), and its answer is lost after the call stored it.
        fx.Faults.FailWritesAfterStoring("call", dm.Id);
        await FailsToStore(() => fx.JoinAsync(a, dm.Id));
        Assert.True(fx.Faults.AllSpent);

        // The user grain confirms its call with the room, as it does after any join that failed to
        // answer; a later call to the grain runs after that confirmation.
        await fx.User(a).ConfirmActiveCall();
        await fx.User(a).ProcessDeadlines();
        Assert.Equal(CallContext.Dm(dm.Id), (await fx.User(a).GetSeat())?.Call);

        // The call still has a, and a's next change reaches b: nobody was told a left.
        await fx.Call(dm.Id).UpdateState(a, new VoiceStatePatch(IsMuted: true));
        await bEvents.WaitForAsync<UserUpdatedEvent>(e => e.User.UserId == a && e.User.IsMuted);
        Assert.Equal([a, b], (await fx.Call(dm.Id).GetPresence(b)).Participants.Select(p => p.UserId).Order());
        Assert.Equal(call.CallId, (await fx.Call(dm.Id).GetPresence(b)).CallId);
        Assert.DoesNotContain(bEvents.OfType<UserLeftEvent>(), e => e.UserId == a);

        // And a can still leave as usual.
        await fx.User(a).LeaveDmCall(dm.Id);
        var left = await bEvents.WaitForAsync<UserLeftEvent>(e => e.UserId == a);
        Assert.Equal(LeaveReasons.Left, left.Reason);
    }

    [Fact]
    public async Task A_user_whose_removal_from_a_call_could_not_be_stored_stops_showing_as_busy()
    {
        var (a, b, c) = (TestIds.User("a"), TestIds.User("b"), TestIds.User("c"));
        var dm = await fx.CreateDmAsync(a, b, c);
        await fx.JoinAsync(a, dm.Id);
        await fx.JoinAsync(b, dm.Id);

        // The call removes b, but b's grain cannot store it (and drops its activation).
        fx.Faults.FailWrites("voice", b);
        await fx.Group(dm.Id).RemoveMember(a, b);
        await Eventually.TrueAsync(() => fx.Faults.AllSpent, "b's grain to try storing the removal");

        // Its next activation checks the call it thinks it is in, and lets go.
        await Eventually.GetAsync(() => fx.User(b).GetSeat(), seat => seat is null, "b to stop showing as busy");
    }

    [Fact]
    public async Task A_call_end_whose_state_cannot_be_stored_ends_once_with_one_history_record()
    {
        var (a, b) = (TestIds.User("a"), TestIds.User("b"));
        var dm = await fx.CreateDmAsync(a, b);
        var call = await fx.JoinAsync(a, dm.Id);
        await fx.Call(dm.Id).StopRinging(a, [b]);
        await fx.User(a).LeaveDmCall(dm.Id);

        // The history is written, the call's own state is not: the call is still live when read back.
        fx.Faults.FailWrites("call", dm.Id);
        fx.Advance(TimeSpan.FromSeconds(10));
        await Eventually.TrueAsync(() => fx.Faults.AllSpent, "the call to try ending");

        // Reading it settles the overdue end again, and the history holds the call once.
        Assert.Null((await fx.Call(dm.Id).GetPresence(a)).CallId);
        var history = await fx.Call(dm.Id).GetHistory(a, 10, null);
        Assert.Equal(call.CallId, Assert.Single(history).CallId);
    }

    [Fact]
    public async Task A_status_or_block_that_cannot_be_stored_is_not_kept()
    {
        var (me, other) = (TestIds.User("me"), TestIds.User("other"));
        var settings = fx.Client.GetGrain<IUserSettingsGrain>(me);
        Assert.Equal(UserStatuses.Online, await settings.GetStatus());
        fx.Faults.FailWrites("settings", me, count: 2);

        await FailsToStore(() => settings.SetStatus(UserStatuses.DoNotDisturb));
        Assert.Equal(UserStatuses.Online, await settings.GetStatus());
        await FailsToStore(() => settings.Block(other));
        Assert.False(await settings.IsBlocking(other));
    }

    /// <summary>The request fails the way a storage outage makes it fail: Orleans' storage error around the timeout.</summary>
    [Fact]
    public async Task A_channel_rename_that_cannot_be_stored_is_not_published_and_the_next_one_takes_its_version()
    {
        var (a, b) = (TestIds.User("a"), TestIds.User("b"));
        var channel = fx.Client.GetGrain<IVoiceChannelGrain>(ChannelIds.New());
        await channel.Create(a, "Lobby", [b], 0);
        await channel.AcceptInvite(b);
        await using var bEvents = await EventRecorder.SubscribeAsync(fx.Client, b);
        var before = (await channel.GetPresence(b)).Version;
        fx.Faults.FailWrites("channel", channel.GetPrimaryKeyString());

        await FailsToStore(() => channel.Update(a, new VoiceChannelPatch(Name: "Never stored")));

        Assert.Equal("Lobby", (await channel.Get(b)).Name);
        await channel.Update(a, new VoiceChannelPatch(Name: "Stored"));
        var updated = await bEvents.WaitForAsync<ChannelUpdatedEvent>(e => e.Channel.Name == "Stored");
        Assert.Equal(before + 1, updated.Version);
        Assert.Single(bEvents.OfType<ChannelUpdatedEvent>());
    }

    [Fact]
    public async Task Taking_access_away_that_cannot_be_stored_tells_nobody_and_the_member_keeps_access()
    {
        var (a, b, c) = (TestIds.User("a"), TestIds.User("b"), TestIds.User("c"));
        var channel = fx.Client.GetGrain<IVoiceChannelGrain>(ChannelIds.New());
        await channel.Create(a, "Lobby", [b, c], 0);
        await channel.AcceptInvite(b);
        await channel.AcceptInvite(c);
        await using var bEvents = await EventRecorder.SubscribeAsync(fx.Client, b);
        await using var cEvents = await EventRecorder.SubscribeAsync(fx.Client, c);
        fx.Faults.FailWrites("channel", channel.GetPrimaryKeyString());

        await FailsToStore(() => channel.RemoveMember(a, b));

        Assert.Contains(b, (await channel.Get(b)).MemberIds);

        // A later change reaches both with the next version: the failed removal left no event and no gap.
        var before = (await channel.GetPresence(b)).Version;
        await channel.Update(a, new VoiceChannelPatch(UserLimit: 5));
        var toB = await bEvents.WaitForAsync<ChannelUpdatedEvent>(e => e.Channel.UserLimit == 5);
        var toC = await cEvents.WaitForAsync<ChannelUpdatedEvent>(e => e.Channel.UserLimit == 5);
        Assert.Equal(before + 1, toB.Version);
        Assert.Equal(toB.Version, toC.Version);
        Assert.Empty(bEvents.OfType<ChannelRemovedEvent>());
        Assert.Single(cEvents.OfType<ChannelUpdatedEvent>());
    }

    [Fact]
    public async Task Settings_changes_that_cannot_be_stored_leave_no_trace_and_a_retry_stores_them()
    {
        var (me, pest) = (TestIds.User("me"), TestIds.User("pest"));
        var settings = fx.Client.GetGrain<IUserSettingsGrain>(me);
        var dm = await fx.CreateDmAsync(me, pest);

        fx.Faults.FailWrites("settings", me);
        await FailsToStore(() => settings.SetStatus(UserStatuses.DoNotDisturb));
        Assert.Equal(UserStatuses.Online, await settings.GetStatus());

        fx.Faults.FailWrites("settings", me);
        await FailsToStore(() => settings.Block(pest));
        Assert.False(await settings.IsBlocking(pest));
        Assert.Empty(await settings.GetBlocks());

        fx.Faults.FailWrites("settings", me);
        await FailsToStore(() => settings.SetDmSettings(dm.Id, true, null));
        Assert.False(Assert.Single(await settings.GetDmSettings([dm.Id])).Muted);

        // The retries write (each one fails once more first, so a retry that wrote nothing would not fail).
        foreach (var retry in new Func<Task>[]
        {
            () => settings.SetStatus(UserStatuses.DoNotDisturb),
            () => settings.Block(pest),
            () => settings.SetDmSettings(dm.Id, true, null),
        })
        {
            fx.Faults.FailWrites("settings", me);
            await FailsToStore(retry);
            await retry();
        }

        Assert.True(fx.Faults.AllSpent);
        Assert.Equal(UserStatuses.DoNotDisturb, await settings.GetStatus());
        Assert.True(await settings.IsBlocking(pest));
        Assert.True(Assert.Single(await settings.GetDmSettings([dm.Id])).Muted);

        // Unblocking that cannot be stored keeps the block.
        fx.Faults.FailWrites("settings", me);
        await FailsToStore(() => settings.Unblock(pest));
        Assert.True(await settings.IsBlocking(pest));
    }

    [Fact]
    public async Task A_profile_read_while_the_user_s_settings_write_is_held_answers_at_once_with_what_is_stored()
    {
        var me = TestIds.User("me");
        var settings = fx.Client.GetGrain<IUserSettingsGrain>(me);
        await settings.SetStatus(UserStatuses.Idle);

        // Storage holds the next write, as Redis paused for writes does: the change's turn waits on it.
        var held = fx.Faults.HoldNextWrite("settings", me);
        var change = settings.SetStatus(UserStatuses.DoNotDisturb);
        try
        {
            await held.Reached.WaitAsync(TimeSpan.FromSeconds(30));

            // Others' reads (a call's presence lists everyone's profile) neither wait for it nor see it.
            var seen = await settings.GetProfile().WaitAsync(TimeSpan.FromSeconds(10));
            Assert.Equal(UserStatuses.Idle, seen.Status);
        }
        finally
        {
            held.Release();
        }

        await change;
        Assert.Equal(UserStatuses.DoNotDisturb, (await settings.GetProfile()).Status);
    }

    private static async Task FailsToStore(Func<Task> request)
    {
        var error = await Assert.ThrowsAsync<OrleansException>(request);
        Assert.IsType<TimeoutException>(error.InnerException);
    }
}
