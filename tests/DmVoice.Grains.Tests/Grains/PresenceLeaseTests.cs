using DmVoice.Tests.Infrastructure;
using DmVoice.TestSupport.Orleans;

namespace DmVoice.Tests.Grains;

/// <summary>
/// Presence never outlives the devices behind it: a participant rests on a live device, on a gateway
/// that renews its lease. Run in every storage and delivery configuration (the classes at the end).
/// </summary>
public abstract class PresenceLeaseTests(GrainClusterFixture fx)
{
    private static readonly TimeSpan ShortLease = TimeSpan.FromSeconds(1);

    [Fact]
    public async Task A_participant_who_joined_without_a_device_leaves_after_the_disconnect_grace()
    {
        var (a, b) = (TestIds.User("a"), TestIds.User("b"));
        var dm = await fx.CreateDmAsync(a, b);
        await using var bEvents = await EventRecorder.SubscribeAsync(fx.Client, b);
        var call = await fx.JoinAsync(a, dm.Id);
        await fx.JoinAsync(b, dm.Id);

        fx.Advance(GrainClusterFixture.DisconnectGrace - TimeSpan.FromSeconds(1));
        Assert.Equal([a, b], (await fx.Call(dm.Id).GetPresence(b)).Participants.Select(p => p.UserId));

        fx.Advance(TimeSpan.FromSeconds(1));
        var left = await bEvents.WaitForAsync<UserLeftEvent>(e => e.UserId == a);
        Assert.Equal(LeaveReasons.Disconnected, left.Reason);
        Assert.Equal(call.CallId, left.CallId);
        Assert.Null(await fx.User(a).GetSeat());
        Assert.Equal([b], (await fx.Call(dm.Id).GetPresence(b)).Participants.Select(p => p.UserId));
    }

    [Fact]
    public async Task A_device_that_connects_within_the_grace_keeps_the_seat()
    {
        var (a, b) = (TestIds.User("a"), TestIds.User("b"));
        var dm = await fx.CreateDmAsync(a, b);
        await using var bEvents = await EventRecorder.SubscribeAsync(fx.Client, b);
        await fx.JoinAsync(a, dm.Id);
        await fx.JoinAsync(b, dm.Id);

        fx.Advance(GrainClusterFixture.DisconnectGrace / 2);
        await using var aDevice = await EventRecorder.SubscribeAsync(fx.Client, a);
        fx.Advance(GrainClusterFixture.DisconnectGrace);
        await EventBarrier.FlushAsync(fx.Client, dm.Id, bEvents, aDevice);

        Assert.DoesNotContain(bEvents.OfType<UserLeftEvent>(), e => e.UserId == a);
        Assert.Equal(CallContext.Dm(dm.Id), (await fx.User(a).GetSeat())?.Call);
    }

    [Fact]
    public async Task When_a_gateway_stops_renewing_its_lease_its_users_lose_their_devices_and_leave_after_the_grace()
    {
        var (a, b) = (TestIds.User("a"), TestIds.User("b"));
        var dm = await fx.CreateDmAsync(a, b);
        await using var bEvents = await EventRecorder.SubscribeAsync(fx.Client, b);
        await using var aOnDyingGateway = await EventRecorder.SubscribeAsync(fx.Client, a, lease: ShortLease);
        var call = await fx.JoinAsync(a, dm.Id);
        await fx.JoinAsync(b, dm.Id);

        // The lease lapses in real time; from then on a has no device and the grace runs on call time.
        var left = await LeftAfterGraceAsync(bEvents, a);
        Assert.Equal(LeaveReasons.Disconnected, left.Reason);
        Assert.Equal(call.CallId, left.CallId);
        Assert.Null(await fx.User(a).GetSeat());
    }

    [Fact]
    public async Task A_user_with_a_device_on_a_live_gateway_stays_when_their_other_gateway_lapses()
    {
        var (a, b, w) = (TestIds.User("a"), TestIds.User("b"), TestIds.User("w"));
        var dm = await fx.CreateDmAsync(a, b, w);
        await using var bEvents = await EventRecorder.SubscribeAsync(fx.Client, b);
        await using var aOnDyingGateway = await EventRecorder.SubscribeAsync(fx.Client, a, lease: ShortLease);
        await using var aOnLiveGateway = await EventRecorder.SubscribeAsync(fx.Client, a);

        // A witness whose only device shares the dying gateway: once w is out, the lease has lapsed.
        await using var wOnDyingGateway = await EventRecorder.ConnectAsync(aOnDyingGateway.Gateway, w);
        await fx.JoinAsync(a, dm.Id);
        await fx.JoinAsync(b, dm.Id);
        await fx.JoinAsync(w, dm.Id);

        await LeftAfterGraceAsync(bEvents, w);
        fx.Advance(GrainClusterFixture.DisconnectGrace * 2);
        await EventBarrier.FlushAsync(fx.Client, dm.Id, bEvents, aOnLiveGateway);

        Assert.DoesNotContain(bEvents.OfType<UserLeftEvent>(), e => e.UserId == a);
        Assert.Equal(CallContext.Dm(dm.Id), (await fx.User(a).GetSeat())?.Call);

        // Events of the call still reach a's device on the live gateway.
        await fx.Call(dm.Id).UpdateState(b, new VoiceStatePatch(IsMuted: true));
        await aOnLiveGateway.WaitForAsync<UserUpdatedEvent>(e => e.User.UserId == b && e.User.IsMuted);
    }

    [Fact]
    public async Task A_device_whose_close_never_reached_its_user_grain_is_forgotten_by_the_audit_and_its_user_leaves_after_the_grace()
    {
        var (a, b) = (TestIds.User("a"), TestIds.User("b"));
        var dm = await fx.CreateDmAsync(a, b);
        await using var bEvents = await EventRecorder.SubscribeAsync(fx.Client, b);
        var aDevice = await EventRecorder.SubscribeAsync(fx.Client, a);
        var call = await fx.JoinAsync(a, dm.Id);
        await fx.JoinAsync(b, dm.Id);

        // The gateway no longer holds the connection, and the grain was never told.
        aDevice.CloseUnheard();
        await Eventually.GetAsync(() => fx.User(a).HasLiveDevice(), live => !live, "the audit to find a's device gone");

        var left = await LeftAfterGraceAsync(bEvents, a);
        Assert.Equal(LeaveReasons.Disconnected, left.Reason);
        Assert.Equal(call.CallId, left.CallId);
        Assert.Null(await fx.User(a).GetSeat());
        await aDevice.DisposeAsync();
    }

    [Fact]
    public async Task A_user_who_never_heard_that_their_gateway_s_lease_ended_loses_its_devices_at_the_audit_and_leaves_after_the_grace()
    {
        var (a, b) = (TestIds.User("a"), TestIds.User("b"));
        var dm = await fx.CreateDmAsync(a, b);
        await using var bEvents = await EventRecorder.SubscribeAsync(fx.Client, b);
        await using var aDevice = await EventRecorder.SubscribeAsync(fx.Client, a);
        await fx.JoinAsync(a, dm.Id);
        await fx.JoinAsync(b, dm.Id);

        // The lease ends without a word to a: it had stopped tracking a (as if its notice went down
        // with a silo), and its gateway still claims the connection.
        var lease = fx.Client.GetGrain<IGatewayLeaseGrain>(aDevice.Gateway.Id);
        await lease.Untrack(a);
        await lease.Release();
        await Eventually.GetAsync(() => fx.User(a).HasLiveDevice(), live => !live, "the audit to find a's gateway gone");

        var left = await LeftAfterGraceAsync(bEvents, a);
        Assert.Equal(LeaveReasons.Disconnected, left.Reason);
    }

    [Fact]
    public async Task The_audit_keeps_every_device_its_gateway_still_holds()
    {
        var (a, b) = (TestIds.User("a"), TestIds.User("b"));
        var dm = await fx.CreateDmAsync(a, b);
        await using var bEvents = await EventRecorder.SubscribeAsync(fx.Client, b);
        var aGone = await EventRecorder.SubscribeAsync(fx.Client, a, deviceId: "phone");
        await using var aStays = await EventRecorder.SubscribeAsync(fx.Client, a, deviceId: "desktop");
        await fx.User(a).JoinDmCall(dm.Id, new JoinRequest(a, DeviceId: "desktop"));
        await fx.JoinAsync(b, dm.Id);

        // The audit that forgets the phone has looked at the desktop too; the grace would have started at once.
        aGone.CloseUnheard();
        await Eventually.GetAsync(() => fx.User(a).GetRoutes(), routes => routes.Length == 1, "the audit to forget a's phone and its gateway");
        fx.Advance(GrainClusterFixture.DisconnectGrace * 2);
        await fx.Call(dm.Id).UpdateState(b, new VoiceStatePatch(IsMuted: true));
        await aStays.WaitForAsync<UserUpdatedEvent>(e => e.User.UserId == b && e.User.IsMuted);
        await EventBarrier.FlushAsync(fx.Client, dm.Id, bEvents, aStays);
        Assert.DoesNotContain(bEvents.OfType<UserLeftEvent>(), e => e.UserId == a);
        Assert.Equal(new VoiceSeat(CallContext.Dm(dm.Id), "desktop", null), await fx.User(a).GetSeat());
        await aGone.DisposeAsync();
    }

    [Fact]
    public async Task A_device_that_connects_during_a_call_receives_the_calls_next_events()
    {
        var (a, b, c) = (TestIds.User("a"), TestIds.User("b"), TestIds.User("c"));
        var dm = await fx.CreateDmAsync(a, b, c);
        await using var aEvents = await EventRecorder.SubscribeAsync(fx.Client, a);
        await fx.JoinAsync(a, dm.Id);

        // c's first device connects while the call rings c; from then on the call reaches it.
        await using var cLate = await EventRecorder.SubscribeAsync(fx.Client, c);
        var joined = await fx.JoinAsync(b, dm.Id);
        var seenJoin = await cLate.WaitForAsync<UserJoinedEvent>(e => e.User.UserId == b);
        var seenAccept = await cLate.WaitForAsync<RingStoppedEvent>(e => e.UserId == b);
        Assert.Equal(RingOutcomes.Accepted, seenAccept.Outcome);
        Assert.Equal([joined.Version - 1, joined.Version], new[] { seenJoin.Version, seenAccept.Version });
    }

    [Fact]
    public async Task Every_member_sees_a_live_call_in_their_index_until_it_ends()
    {
        var (a, b, c, d) = (TestIds.User("a"), TestIds.User("b"), TestIds.User("c"), TestIds.User("d"));
        var dm = await fx.CreateDmAsync(a, b, c);
        await using var aEvents = await EventRecorder.SubscribeAsync(fx.Client, a);
        var call = await fx.JoinAsync(a, dm.Id);
        var live = new LiveCallRef(CallContext.Dm(dm.Id), call.CallId);

        foreach (var member in new[] { a, b, c })
        {
            Assert.Contains(live, await fx.User(member).GetLiveCalls());
        }

        // Added during the call: sees it. Removed: does not.
        await fx.Group(dm.Id).AddMember(a, d);
        Assert.Contains(live, await fx.User(d).GetLiveCalls());
        await fx.Group(dm.Id).RemoveMember(a, c);
        await Eventually.GetAsync(() => fx.User(c).GetLiveCalls(), calls => !calls.Contains(live), "c's index to drop the call");

        await fx.User(a).LeaveDmCall(dm.Id);
        fx.Advance(TimeSpan.FromSeconds(10));
        await aEvents.WaitForAsync<CallEndedEvent>(e => e.CallId == call.CallId);
        foreach (var member in new[] { a, b, d })
        {
            await Eventually.GetAsync(() => fx.User(member).GetLiveCalls(), calls => !calls.Contains(live), $"{member}'s index to drop the ended call");
        }
    }

    /// <summary>
    /// Advances call time by the grace until <paramref name="userId"/> is seen leaving: the grace can
    /// only start once the lease has lapsed in real time, which this waits out without sleeping.
    /// </summary>
    private async Task<UserLeftEvent> LeftAfterGraceAsync(EventRecorder observer, string userId)
    {
        UserLeftEvent? left = null;
        await Eventually.TrueAsync(
            () =>
            {
                fx.Advance(GrainClusterFixture.DisconnectGrace);
                left = observer.OfType<UserLeftEvent>().FirstOrDefault(e => e.UserId == userId);
                return left is not null;
            },
            $"{userId} to leave after their gateway's lease lapsed");
        return left!;
    }
}

[Collection(GrainClusterCollection.Name)]
public sealed class PresenceLeaseTestsInMemory(GrainClusterFixture fx) : PresenceLeaseTests(fx);

[Collection(RedisGrainClusterCollection.Name)]
public sealed class PresenceLeaseTestsOnRedis(RedisGrainClusterFixture fx) : PresenceLeaseTests(fx);

[Collection(StreamsGrainClusterCollection.Name)]
public sealed class PresenceLeaseTestsWithStreams(StreamsGrainClusterFixture fx) : PresenceLeaseTests(fx);
