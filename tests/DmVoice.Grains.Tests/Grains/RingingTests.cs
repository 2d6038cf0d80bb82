using DmVoice.Tests.Infrastructure;
using DmVoice.TestSupport.Orleans;

namespace DmVoice.Tests.Grains;

/// <summary>How rings end 1:1 calls, re-ringing and its limits, and one RingStopped per ring per user.</summary>
/// <summary>Run against in-memory storage, Redis storage, and with stream delivery (the classes at the end).</summary>
public abstract class RingingTests(GrainClusterFixture fx)
{
    private static readonly TimeSpan RingTimeout = TimeSpan.FromSeconds(30);

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Stopping_a_ring_and_ringing_again_counts_against_the_callers_limit_whether_or_not_the_recipient_blocks_them(bool blocks)
    {
        var (a, b, c) = (TestIds.User("a"), TestIds.User("b"), TestIds.User("c"));
        var dm = await fx.CreateDmAsync(a, b, c);
        if (blocks)
        {
            await fx.Client.GetGrain<IUserSettingsGrain>(b).Block(a);
        }

        // The start rings b once; four re-rings make five in the minute, the per-caller limit.
        await fx.JoinAsync(a, dm.Id);
        for (var i = 0; i < 4; i++)
        {
            await fx.Call(dm.Id).StopRinging(a, [b]);
            Assert.Equal([b], (await fx.Call(dm.Id).Ring(a, [b])).Ringing.Select(r => r.UserId));
        }

        await fx.Call(dm.Id).StopRinging(a, [b]);
        var refused = await fx.Call(dm.Id).Ring(a, [b]);

        // The caller reads the same answer whether b blocks them or not: a block is never revealed.
        Assert.Empty(refused.Ringing);
        Assert.Equal(new NotRungEntry(b, NotRungReasons.RateLimited), Assert.Single(refused.NotRung));
    }

    // ---- 1:1 endings ----

    [Fact]
    public async Task One_to_one_decline_ends_the_call_with_reason_declined()
    {
        var (a, b) = (TestIds.User("a"), TestIds.User("b"));
        var dm = await fx.CreateDmAsync(a, b);
        await using var aEvents = await EventRecorder.SubscribeAsync(fx.Client, a);
        await using var bEvents = await EventRecorder.SubscribeAsync(fx.Client, b);
        var call = await fx.JoinAsync(a, dm.Id);

        await fx.Call(dm.Id).Decline(b);

        var ended = await aEvents.WaitForAsync<CallEndedEvent>(e => e.CallId == call.CallId);
        Assert.Equal(CallEndReasons.Declined, ended.Reason);
        Assert.Equal(CallEndReasons.Declined, ended.Record.EndReason);
        Assert.Equal(RingOutcomes.Declined, ended.Record.OutcomeOf(b));
        Assert.Equal([a], ended.Record.Participants);
        await bEvents.WaitForAsync<CallEndedEvent>(e => e.CallId == call.CallId && e.Reason == CallEndReasons.Declined);

        // The caller is told of the decline before the call ends under them.
        var declined = await aEvents.WaitForAsync<RingStoppedEvent>(e => e.CallId == call.CallId);
        Assert.Equal(RingOutcomes.Declined, declined.Outcome);
        var left = await aEvents.WaitForAsync<UserLeftEvent>(e => e.CallId == call.CallId);
        Assert.Equal(LeaveReasons.CallEnded, left.Reason);
        Assert.True(declined.Version < left.Version && left.Version < ended.Version);

        Assert.Null((await fx.Call(dm.Id).GetPresence(a)).CallId);
        await Eventually.GetAsync(() => fx.User(a).GetSeat(), seat => seat is null, "a's active call to clear");
        Assert.Empty(await fx.Client.GetGrain<IUserDirectoryGrain>(b).GetMissedCalls(null, 10));
    }

    [Fact]
    public async Task One_to_one_ends_with_no_answer_when_the_ring_times_out_and_not_a_moment_before()
    {
        var (a, b) = (TestIds.User("a"), TestIds.User("b"));
        var dm = await fx.CreateDmAsync(a, b);
        await using var aEvents = await EventRecorder.SubscribeAsync(fx.Client, a);
        await using var bEvents = await EventRecorder.SubscribeAsync(fx.Client, b);
        var call = await fx.JoinAsync(a, dm.Id);

        fx.Advance(RingTimeout - TimeSpan.FromSeconds(1));
        var stillRinging = await fx.Call(dm.Id).GetPresence(a);
        Assert.Equal(call.CallId, stillRinging.CallId);
        Assert.Equal([b], stillRinging.Ringing.Select(r => r.UserId));

        fx.Advance(TimeSpan.FromSeconds(1));
        var ended = await aEvents.WaitForAsync<CallEndedEvent>(e => e.CallId == call.CallId);
        Assert.Equal(CallEndReasons.NoAnswer, ended.Reason);
        Assert.Equal((long)RingTimeout.TotalMilliseconds, ended.DurationMs);
        Assert.Equal(RingOutcomes.Missed, ended.Record.OutcomeOf(b));
        Assert.Equal(RingOutcomes.Missed, (await bEvents.WaitForAsync<RingStoppedEvent>(e => e.CallId == call.CallId)).Outcome);
        await bEvents.WaitForAsync<CallEndedEvent>(e => e.CallId == call.CallId);

        var missed = await Eventually.GetAsync(
            () => fx.Client.GetGrain<IUserDirectoryGrain>(b).GetMissedCalls(null, 10), m => m.Count > 0, "b's missed call");
        Assert.Equal(call.CallId, Assert.Single(missed).CallId);
        Assert.Null((await fx.Call(dm.Id).GetPresence(b)).CallId);
    }

    [Fact]
    public async Task One_to_one_dismissed_ring_still_ends_the_call_with_no_answer_but_is_not_a_missed_call()
    {
        var (a, b) = (TestIds.User("a"), TestIds.User("b"));
        var dm = await fx.CreateDmAsync(a, b);
        await using var aEvents = await EventRecorder.SubscribeAsync(fx.Client, a);
        await using var bEvents = await EventRecorder.SubscribeAsync(fx.Client, b);
        var call = await fx.JoinAsync(a, dm.Id);

        await fx.Call(dm.Id).Dismiss(b);
        await fx.Call(dm.Id).Dismiss(b); // a second device dismissing too changes nothing
        fx.Advance(RingTimeout);

        var ended = await aEvents.WaitForAsync<CallEndedEvent>(e => e.CallId == call.CallId);
        Assert.Equal(CallEndReasons.NoAnswer, ended.Reason);
        Assert.Equal(RingOutcomes.Dismissed, ended.Record.OutcomeOf(b));
        await bEvents.WaitForAsync<CallEndedEvent>(e => e.CallId == call.CallId);
        await EventBarrier.FlushAsync(fx.Client, dm.Id, aEvents);
        Assert.Equal([RingOutcomes.Dismissed], bEvents.RingStops(dm.Id, b).Select(e => e.Outcome));
        Assert.Equal([RingOutcomes.Missed], aEvents.RingStops(dm.Id, b).Select(e => e.Outcome));
        Assert.Empty(await fx.Client.GetGrain<IUserDirectoryGrain>(b).GetMissedCalls(null, 10));
    }

    [Fact]
    public async Task In_a_group_dm_declines_and_misses_stop_only_the_ring_and_the_call_goes_on()
    {
        var (a, b, c) = (TestIds.User("a"), TestIds.User("b"), TestIds.User("c"));
        var dm = await fx.CreateDmAsync(a, b, c);
        await using var aEvents = await EventRecorder.SubscribeAsync(fx.Client, a);
        var call = await fx.JoinAsync(a, dm.Id);

        await fx.Call(dm.Id).Decline(b);
        fx.Advance(RingTimeout);
        await aEvents.WaitForAsync<RingStoppedEvent>(e => e.UserId == c && e.Outcome == RingOutcomes.Missed);
        await EventBarrier.FlushAsync(fx.Client, dm.Id, aEvents);

        Assert.DoesNotContain(aEvents.OfType<CallEndedEvent>(), e => e.CallId == call.CallId);
        var presence = await fx.Call(dm.Id).GetPresence(a);
        Assert.Equal(call.CallId, presence.CallId);
        Assert.Equal([a], presence.Participants.Select(p => p.UserId));
        Assert.Empty(presence.Ringing);
        Assert.Equal(CallContext.Dm(dm.Id), (await fx.User(a).GetSeat())?.Call);

        // The call is still there to join.
        var late = await fx.JoinAsync(c, dm.Id);
        Assert.Equal(call.CallId, late.CallId);
    }

    // ---- Re-ring ----

    [Fact]
    public async Task Ring_without_recipients_rings_every_member_neither_in_the_call_nor_ringing()
    {
        var (a, b, c, d) = (TestIds.User("a"), TestIds.User("b"), TestIds.User("c"), TestIds.User("d"));
        var dm = await fx.CreateDmAsync(a, b, c, d);
        await using var cEvents = await EventRecorder.SubscribeAsync(fx.Client, c);
        var call = await fx.JoinAsync(a, dm.Id);
        await fx.JoinAsync(b, dm.Id);          // b is in the call
        await fx.Call(dm.Id).Decline(c);       // c is neither in the call nor ringing
        var dRing = (await fx.Call(dm.Id).GetPresence(a)).Ringing.Single(r => r.UserId == d);

        var now = fx.Time.GetUtcNow();
        var rung = (await fx.Call(dm.Id).Ring(b, null)).Ringing; // any participant may ring

        var entry = Assert.Single(rung);
        Assert.Equal(c, entry.UserId);
        Assert.Equal(now + RingTimeout, entry.ExpiresAt);
        var started = await cEvents.WaitForAsync<RingStartedEvent>(e => e.CallId == call.CallId);
        Assert.Equal([entry], started.Ringing);

        // d's ring is untouched: same ring id and deadline.
        var presence = await fx.Call(dm.Id).GetPresence(c);
        Assert.Equal([dRing, entry], presence.Ringing);

        // Nobody left to ring: nothing happens.
        Assert.Empty((await fx.Call(dm.Id).Ring(a, null)).Ringing);
    }

    [Fact]
    public async Task Ring_with_recipients_rings_only_those_and_skips_members_in_the_call_or_ringing()
    {
        var (a, b, c, d) = (TestIds.User("a"), TestIds.User("b"), TestIds.User("c"), TestIds.User("d"));
        var dm = await fx.CreateDmAsync(a, b, c, d);
        await fx.JoinAsync(a, dm.Id);
        await fx.Call(dm.Id).Decline(b);
        await fx.Call(dm.Id).Decline(c);
        var dRing = (await fx.Call(dm.Id).GetPresence(a)).Ringing.Single();

        var rung = (await fx.Call(dm.Id).Ring(a, [b, d, a, b])).Ringing;

        Assert.Equal([b], rung.Select(r => r.UserId));
        var ringing = (await fx.Call(dm.Id).GetPresence(a)).Ringing;
        Assert.Equal([d, b], ringing.Select(r => r.UserId));
        Assert.Equal(dRing, ringing[0]);
    }

    [Fact]
    public async Task Ring_is_refused_for_non_participants_without_a_call_and_for_non_member_recipients()
    {
        var (a, b, c, stranger) = (TestIds.User("a"), TestIds.User("b"), TestIds.User("c"), TestIds.User("x"));
        var dm = await fx.CreateDmAsync(a, b, c);

        var noCall = await Assert.ThrowsAsync<DmVoiceException>(() => fx.Call(dm.Id).Ring(a, null));
        Assert.Equal(ErrorCodes.NoActiveCall, noCall.Code);

        await fx.JoinAsync(a, dm.Id);
        var notInCall = await Assert.ThrowsAsync<DmVoiceException>(() => fx.Call(dm.Id).Ring(b, [c]));
        Assert.Equal(ErrorCodes.NotInCall, notInCall.Code);

        var notMember = await Assert.ThrowsAsync<DmVoiceException>(() => fx.Call(dm.Id).Ring(a, [b, stranger]));
        Assert.Equal(ErrorCodes.MemberNotFound, notMember.Code);

        var strangerRings = await Assert.ThrowsAsync<DmVoiceException>(() => fx.Call(dm.Id).Ring(stranger, null));
        Assert.Equal(ErrorCodes.DmNotFound, strangerRings.Code);

        // The same rules for stopping rings.
        var stopNotInCall = await Assert.ThrowsAsync<DmVoiceException>(() => fx.Call(dm.Id).StopRinging(b, [c]));
        Assert.Equal(ErrorCodes.NotInCall, stopNotInCall.Code);
        var stopNotMember = await Assert.ThrowsAsync<DmVoiceException>(() => fx.Call(dm.Id).StopRinging(a, [stranger]));
        Assert.Equal(ErrorCodes.MemberNotFound, stopNotMember.Code);

        // Decline and dismiss need a ring.
        await fx.Call(dm.Id).Decline(b);
        var notRinging = await Assert.ThrowsAsync<DmVoiceException>(() => fx.Call(dm.Id).Decline(b));
        Assert.Equal(ErrorCodes.NotRinging, notRinging.Code);
        var dismissNotRinging = await Assert.ThrowsAsync<DmVoiceException>(() => fx.Call(dm.Id).Dismiss(a));
        Assert.Equal(ErrorCodes.NotRinging, dismissNotRinging.Code);

        // None of the refusals rang anyone.
        Assert.Equal([c], (await fx.Call(dm.Id).GetPresence(a)).Ringing.Select(r => r.UserId));
    }

    [Fact]
    public async Task The_sixth_ring_within_a_minute_is_rate_limited_until_the_minute_has_passed()
    {
        var (a, b, c, d) = (TestIds.User("a"), TestIds.User("b"), TestIds.User("c"), TestIds.User("d"));
        var dm = await fx.CreateDmAsync(a, b, c, d);
        await fx.JoinAsync(a, dm.Id);
        await fx.JoinAsync(b, dm.Id);
        await fx.Call(dm.Id).StopRinging(a, [c, d]);

        // Turn about between c and d, so that no recipient reaches the caller's own limit per recipient.
        for (var i = 0; i < 5; i++)
        {
            var target = i % 2 == 0 ? c : d;
            Assert.Equal([target], (await fx.Call(dm.Id).Ring(a, [target])).Ringing.Select(r => r.UserId));
            await fx.Call(dm.Id).StopRinging(a, [target]);
            fx.Advance(TimeSpan.FromSeconds(1));
        }

        var limited = await Assert.ThrowsAsync<DmVoiceException>(() => fx.Call(dm.Id).Ring(a, [c]));
        Assert.Equal(ErrorCodes.RateLimited, limited.Code);
        Assert.NotNull(limited.RetryAfter);
        Assert.InRange(limited.RetryAfter.Value, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(60));
        Assert.Equal(TimeSpan.FromSeconds(55), limited.RetryAfter.Value); // the first of the five was 5 s ago
        Assert.Empty((await fx.Call(dm.Id).GetPresence(a)).Ringing);

        // The limit is per user: another participant may still ring.
        Assert.Single((await fx.Call(dm.Id).Ring(b, [c])).Ringing);
        await fx.Call(dm.Id).StopRinging(b, [c]);

        fx.Advance(limited.RetryAfter.Value);
        Assert.Equal([c], (await fx.Call(dm.Id).Ring(a, [c])).Ringing.Select(r => r.UserId));
    }

    // ---- One RingStopped per ring on the recipient's stream ----

    [Fact]
    public async Task Each_ring_end_reaches_every_subscription_of_the_recipients_stream_exactly_once()
    {
        var (a, b, c) = (TestIds.User("a"), TestIds.User("b"), TestIds.User("c"));
        var dm = await fx.CreateDmAsync(a, b, c);
        // Two subscriptions to b's stream, as two gateways with a device of b each would have.
        await using var bGateway1 = await EventRecorder.SubscribeAsync(fx.Client, b);
        await using var bGateway2 = await EventRecorder.SubscribeAsync(fx.Client, b);
        await using var aEvents = await EventRecorder.SubscribeAsync(fx.Client, a);
        var call = await fx.JoinAsync(a, dm.Id);
        var call_ = fx.Call(dm.Id);
        var ringIds = new List<string> { (await call_.GetPresence(a)).Ringing.Single(r => r.UserId == b).RingId };

        // 1: dismissed, then accepted from another device.
        await call_.Dismiss(b);
        await fx.JoinAsync(b, dm.Id);
        await fx.User(b).LeaveDmCall(dm.Id);

        // 2: declined.
        ringIds.Add((await call_.Ring(a, [b])).Ringing.Single().RingId);
        await call_.Decline(b);

        // 3: missed.
        ringIds.Add((await call_.Ring(a, [b])).Ringing.Single().RingId);
        fx.Advance(RingTimeout);
        await aEvents.WaitForAsync<RingStoppedEvent>(e => e.RingId == ringIds[2]);

        // 4: cancelled by the caller.
        ringIds.Add((await call_.Ring(a, [b])).Ringing.Single().RingId);
        await call_.StopRinging(a, [b]);

        // 5: dismissed, then timed out.
        ringIds.Add((await call_.Ring(a, [b])).Ringing.Single().RingId);
        await call_.Dismiss(b);
        fx.Advance(RingTimeout);
        await aEvents.WaitForAsync<RingStoppedEvent>(e => e.RingId == ringIds[4]);

        await EventBarrier.FlushAsync(fx.Client, dm.Id, bGateway1, bGateway2, aEvents);
        Assert.Equal(5, ringIds.Distinct().Count());
        foreach (var gateway in new[] { bGateway1, bGateway2 })
        {
            var stops = gateway.RingStops(dm.Id, b);
            Assert.Equal(ringIds, stops.Select(e => e.RingId));
            Assert.Equal(
                [RingOutcomes.Dismissed, RingOutcomes.Declined, RingOutcomes.Missed, RingOutcomes.Cancelled, RingOutcomes.Dismissed],
                stops.Select(e => e.Outcome));
            Assert.Equal(stops.Select(e => e.Version).Order(), stops.Select(e => e.Version));
        }

        Assert.Equal(ringIds, aEvents.RingStops(dm.Id, b).Select(e => e.RingId));
        Assert.Equal(
            [RingOutcomes.Accepted, RingOutcomes.Declined, RingOutcomes.Missed, RingOutcomes.Cancelled, RingOutcomes.Missed],
            aEvents.RingStops(dm.Id, b).Select(e => e.Outcome));
        Assert.Equal(call.CallId, (await call_.GetPresence(a)).CallId);
    }
}

[Collection(GrainClusterCollection.Name)]
public sealed class RingingTestsInMemory(GrainClusterFixture fx) : RingingTests(fx);

[Collection(RedisGrainClusterCollection.Name)]
public sealed class RingingTestsOnRedis(RedisGrainClusterFixture fx) : RingingTests(fx);

[Collection(StreamsGrainClusterCollection.Name)]
public sealed class RingingTestsWithStreams(StreamsGrainClusterFixture fx) : RingingTests(fx);
