using DmVoice.Tests.Infrastructure;
using DmVoice.TestSupport.Orleans;

namespace DmVoice.Tests.Grains;

/// <summary>Run against in-memory storage, Redis storage, and with stream delivery (the classes at the end).</summary>
public abstract class DmCallTests(GrainClusterFixture fx)
{
    [Fact]
    public async Task The_first_joiner_starts_the_call_and_every_member_hears_it_on_their_stream()
    {
        var (a, b, c) = (TestIds.User("a"), TestIds.User("b"), TestIds.User("c"));
        var dm = await fx.CreateDmAsync(a, b, c);
        await using var bEvents = await EventRecorder.SubscribeAsync(fx.Client, b);
        await using var cEvents = await EventRecorder.SubscribeAsync(fx.Client, c);

        var first = await fx.JoinAsync(a, dm.Id);
        Assert.True(first.CallStarted);

        var started = await bEvents.WaitForAsync<CallStartedEvent>(e => e.DmGroupId == dm.Id);
        Assert.Equal(first.CallId, started.CallId);
        Assert.Equal(a, started.User.UserId);
        Assert.Equal([b, c], started.Ringing.Select(r => r.UserId).Order());
        await cEvents.WaitForAsync<CallStartedEvent>(e => e.CallId == first.CallId);

        var second = await fx.JoinAsync(b, dm.Id);
        Assert.False(second.CallStarted);
        Assert.Equal(first.CallId, second.CallId);
        var joined = await cEvents.WaitForAsync<UserJoinedEvent>(e => e.User.UserId == b);
        Assert.True(joined.Version > started.Version);

        var presence = await fx.Call(dm.Id).GetPresence(c);
        Assert.Equal([a, b], presence.Participants.Select(p => p.UserId));
        Assert.Equal(second.Version, presence.Version);
    }

    [Fact]
    public async Task A_state_update_changes_only_the_given_fields_and_is_published()
    {
        var (a, b) = (TestIds.User("a"), TestIds.User("b"));
        var dm = await fx.CreateDmAsync(a, b);
        await using var bEvents = await EventRecorder.SubscribeAsync(fx.Client, b);
        await fx.User(a).JoinDmCall(dm.Id, new JoinRequest("Alice", IsMuted: false, IsVideoEnabled: true));

        var muted = await fx.Call(dm.Id).UpdateState(a, new VoiceStatePatch(IsMuted: true));
        Assert.True(muted.IsMuted);
        Assert.True(muted.IsVideoEnabled);
        Assert.False(muted.IsDeafened);
        Assert.Equal("Alice", muted.DisplayName);

        var updated = await bEvents.WaitForAsync<UserUpdatedEvent>();
        Assert.Equal(muted, updated.User);

        var notInCall = await Assert.ThrowsAsync<DmVoiceException>(() => fx.Call(dm.Id).UpdateState(b, new VoiceStatePatch(IsMuted: true)));
        Assert.Equal(ErrorCodes.NotInCall, notInCall.Code);
    }

    [Fact]
    public async Task The_call_ends_when_the_last_participant_leaves_after_the_grace_and_a_rejoin_in_grace_keeps_it()
    {
        var (a, b, c) = (TestIds.User("a"), TestIds.User("b"), TestIds.User("c"));
        var dm = await fx.CreateDmAsync(a, b, c);
        await using var cEvents = await EventRecorder.SubscribeAsync(fx.Client, c);
        var call = await fx.JoinAsync(a, dm.Id);
        await fx.JoinAsync(b, dm.Id);

        await fx.User(a).LeaveDmCall(dm.Id);
        await fx.User(b).LeaveDmCall(dm.Id);
        fx.Advance(TimeSpan.FromSeconds(9));
        var duringGrace = await fx.Call(dm.Id).GetPresence(c);
        Assert.Equal(call.CallId, duringGrace.CallId);
        Assert.Empty(duringGrace.Participants);

        var rejoin = await fx.JoinAsync(b, dm.Id);
        Assert.Equal(call.CallId, rejoin.CallId);
        Assert.False(rejoin.CallStarted);

        await fx.User(b).LeaveDmCall(dm.Id);
        fx.Advance(TimeSpan.FromSeconds(10));
        var ended = await cEvents.WaitForAsync<CallEndedEvent>(e => e.CallId == call.CallId);
        Assert.Equal(CallEndReasons.Ended, ended.Reason);
        Assert.Equal([a, b], ended.Record.Participants);
        Assert.Equal(19_000, ended.DurationMs);

        var after = await fx.Call(dm.Id).GetPresence(c);
        Assert.Null(after.CallId);
        var next = await fx.JoinAsync(a, dm.Id);
        Assert.True(next.CallStarted);
        Assert.NotEqual(call.CallId, next.CallId);
    }

    [Fact]
    public async Task Leaving_a_call_you_are_not_in_is_not_in_call()
    {
        var (a, b) = (TestIds.User("a"), TestIds.User("b"));
        var dm = await fx.CreateDmAsync(a, b);
        var error = await Assert.ThrowsAsync<DmVoiceException>(() => fx.User(a).LeaveDmCall(dm.Id));
        Assert.Equal(ErrorCodes.NotInCall, error.Code);
    }

    [Fact]
    public async Task Joining_another_call_leaves_the_first_with_reason_moved()
    {
        var (a, b, c) = (TestIds.User("a"), TestIds.User("b"), TestIds.User("c"));
        var dm1 = await fx.CreateDmAsync(a, b);
        var dm2 = await fx.CreateDmAsync(a, c);
        await using var bEvents = await EventRecorder.SubscribeAsync(fx.Client, b);
        await fx.JoinAsync(b, dm1.Id);
        await fx.JoinAsync(a, dm1.Id);

        await fx.JoinAsync(a, dm2.Id);

        var left = await bEvents.WaitForAsync<UserLeftEvent>(e => e.UserId == a);
        Assert.Equal(LeaveReasons.Moved, left.Reason);
        Assert.DoesNotContain(a, (await fx.Call(dm1.Id).GetPresence(b)).Participants.Select(p => p.UserId));
        Assert.Contains(a, (await fx.Call(dm2.Id).GetPresence(c)).Participants.Select(p => p.UserId));
        Assert.Equal(CallContext.Dm(dm2.Id), (await fx.User(a).GetSeat())?.Call);
    }

    [Fact]
    public async Task A_refused_join_does_not_cost_the_current_call()
    {
        var (a, b, c, d) = (TestIds.User("a"), TestIds.User("b"), TestIds.User("c"), TestIds.User("d"));
        var mine = await fx.CreateDmAsync(a, b);
        var notMine = await fx.CreateDmAsync(c, d);
        await fx.JoinAsync(a, mine.Id);

        await Assert.ThrowsAsync<DmVoiceException>(() => fx.JoinAsync(a, notMine.Id));

        Assert.Equal(CallContext.Dm(mine.Id), (await fx.User(a).GetSeat())?.Call);
        Assert.Contains(a, (await fx.Call(mine.Id).GetPresence(b)).Participants.Select(p => p.UserId));
    }

    [Fact]
    public async Task Racing_joins_to_two_calls_leave_the_user_in_exactly_one()
    {
        for (var round = 0; round < 10; round++)
        {
            var (a, b, c) = (TestIds.User("a"), TestIds.User("b"), TestIds.User("c"));
            var dm1 = await fx.CreateDmAsync(a, b);
            var dm2 = await fx.CreateDmAsync(a, c);

            await Task.WhenAll(fx.JoinAsync(a, dm1.Id), fx.JoinAsync(a, dm2.Id), fx.JoinAsync(a, dm1.Id), fx.JoinAsync(a, dm2.Id));

            var in1 = (await fx.Call(dm1.Id).GetPresence(a)).Participants.Any(p => p.UserId == a);
            var in2 = (await fx.Call(dm2.Id).GetPresence(a)).Participants.Any(p => p.UserId == a);
            Assert.True(in1 ^ in2, $"round {round}: in dm1={in1}, in dm2={in2}");
            Assert.Equal(CallContext.Dm(in1 ? dm1.Id : dm2.Id), (await fx.User(a).GetSeat())?.Call);
        }
    }

    [Fact]
    public async Task A_member_removed_from_the_dm_is_removed_from_its_call_and_told_so()
    {
        var (owner, b, c) = (TestIds.User("owner"), TestIds.User("b"), TestIds.User("c"));
        var dm = await fx.CreateDmAsync(owner, b, c);
        await using var cEvents = await EventRecorder.SubscribeAsync(fx.Client, c);
        await using var ownerEvents = await EventRecorder.SubscribeAsync(fx.Client, owner);
        await fx.JoinAsync(owner, dm.Id);
        await fx.JoinAsync(c, dm.Id);

        await fx.Group(dm.Id).RemoveMember(owner, c);

        var left = await ownerEvents.WaitForAsync<UserLeftEvent>(e => e.UserId == c);
        Assert.Equal(LeaveReasons.Removed, left.Reason);
        await cEvents.WaitForAsync<UserLeftEvent>(e => e.UserId == c && e.Reason == LeaveReasons.Removed);
        await Eventually.GetAsync(() => fx.User(c).GetSeat(), seat => seat is null, "c's active call to clear");
        var gone = await Assert.ThrowsAsync<DmVoiceException>(() => fx.Call(dm.Id).GetPresence(c));
        Assert.Equal(ErrorCodes.DmNotFound, gone.Code);
    }

    [Fact]
    public async Task Every_change_bumps_the_version_by_one_so_a_member_can_spot_gaps()
    {
        var (a, b, c) = (TestIds.User("a"), TestIds.User("b"), TestIds.User("c"));
        var dm = await fx.CreateDmAsync(a, b, c);
        await using var cEvents = await EventRecorder.SubscribeAsync(fx.Client, c);

        await fx.JoinAsync(a, dm.Id);
        await fx.JoinAsync(b, dm.Id);
        await fx.Call(dm.Id).UpdateState(a, new VoiceStatePatch(IsDeafened: true));
        await fx.User(b).LeaveDmCall(dm.Id);

        await cEvents.WaitForAsync<UserLeftEvent>(e => e.UserId == b);
        var versions = cEvents.Events.OfType<DmVoiceEvent>().Where(e => e.DmGroupId == dm.Id).Select(e => e.Version).ToArray();
        Assert.Equal(Enumerable.Range((int)versions[0], versions.Length).Select(v => (long)v), versions);
    }
}

[Collection(GrainClusterCollection.Name)]
public sealed class DmCallTestsInMemory(GrainClusterFixture fx) : DmCallTests(fx);

[Collection(RedisGrainClusterCollection.Name)]
public sealed class DmCallTestsOnRedis(RedisGrainClusterFixture fx) : DmCallTests(fx);

[Collection(StreamsGrainClusterCollection.Name)]
public sealed class DmCallTestsWithStreams(StreamsGrainClusterFixture fx) : DmCallTests(fx);
