using DmVoice.Tests.Infrastructure;
using DmVoice.TestSupport.Orleans;

namespace DmVoice.Tests.Grains;

/// <summary>
/// Every way a ring ends, one row each, in a group DM (caller A, recipient B, bystander C) so that
/// a decline or a miss does not end the call. For each row: what B's and A's streams were told
/// about B's ring, who is still ringing afterwards, B's outcome in the call record, and whether it
/// is a missed call for B.
/// </summary>
/// <summary>Run against in-memory storage, Redis storage, and with stream delivery (the classes at the end).</summary>
public abstract class RingTransitionTests(GrainClusterFixture fx)
{
    private static readonly TimeSpan RingTimeout = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan EmptyCallGrace = TimeSpan.FromSeconds(10);

    /// <summary>The people and streams of one row.</summary>
    public sealed class Ctx
    {
        public required GrainClusterFixture Fx { get; init; }
        public required string DmId { get; init; }
        public required string A { get; init; }
        public required string B { get; init; }
        public required string C { get; init; }
        public required EventRecorder AEvents { get; init; }
        public required EventRecorder BEvents { get; init; }

        public IDmCallGrain Call => Fx.Call(DmId);

        /// <summary>Waits until the caller's stream shows B's ring stopping with the given outcome (count-th time).</summary>
        public Task WaitCallerSeesAsync(string outcome, int count = 1) => Eventually.TrueAsync(
            () => AEvents.RingStops(DmId, B).Count(e => e.Outcome == outcome) >= count,
            $"A to see B's ring stop ({outcome}) x{count}");

        public Task ExpireRingsAsync(string expectedForCaller, int count = 1)
        {
            Fx.Advance(RingTimeout);
            return WaitCallerSeesAsync(expectedForCaller, count);
        }
    }

    public sealed record Scenario(
        string Name,
        Func<Ctx, Task> Act,
        string[] RecipientSees,
        string[] CallerSees,
        string[] RingingAfter,
        string RecordOutcome,
        bool CountsAsMissed,
        bool BusyElsewhere = false,
        bool RecipientStaysMember = true);

    private static readonly Scenario[] All =
    [
        new("accept by join",
            async x => await x.Fx.JoinAsync(x.B, x.DmId),
            RecipientSees: [RingOutcomes.Accepted], CallerSees: [RingOutcomes.Accepted],
            RingingAfter: ["C"], RecordOutcome: RingOutcomes.Accepted, CountsAsMissed: false),

        new("decline",
            x => x.Call.Decline(x.B),
            RecipientSees: [RingOutcomes.Declined], CallerSees: [RingOutcomes.Declined],
            RingingAfter: ["C"], RecordOutcome: RingOutcomes.Declined, CountsAsMissed: false),

        new("dismiss then expiry",
            async x =>
            {
                await x.Call.Dismiss(x.B);
                await x.BEvents.WaitForAsync<RingStoppedEvent>(e => e.DmGroupId == x.DmId && e.UserId == x.B);

                // Silenced for B only: the others still see B ringing until it expires.
                Assert.Contains(x.B, (await x.Call.GetPresence(x.A)).Ringing.Select(r => r.UserId));
                Assert.Contains(x.B, (await x.Call.GetPresence(x.C)).Ringing.Select(r => r.UserId));
                Assert.DoesNotContain(x.B, (await x.Call.GetPresence(x.B)).Ringing.Select(r => r.UserId));
                Assert.Empty(x.AEvents.RingStops(x.DmId, x.B));

                await x.ExpireRingsAsync(RingOutcomes.Missed);
            },
            RecipientSees: [RingOutcomes.Dismissed], CallerSees: [RingOutcomes.Missed],
            RingingAfter: [], RecordOutcome: RingOutcomes.Dismissed, CountsAsMissed: false),

        new("dismiss then accept",
            async x =>
            {
                await x.Call.Dismiss(x.B);
                await x.Fx.JoinAsync(x.B, x.DmId);
            },
            RecipientSees: [RingOutcomes.Dismissed], CallerSees: [RingOutcomes.Accepted],
            RingingAfter: ["C"], RecordOutcome: RingOutcomes.Accepted, CountsAsMissed: false),

        new("dismiss then caller leaves",
            async x =>
            {
                await x.Call.Dismiss(x.B);
                await x.Fx.User(x.A).LeaveDmCall(x.DmId);
            },
            RecipientSees: [RingOutcomes.Dismissed], CallerSees: [RingOutcomes.Cancelled],
            RingingAfter: [], RecordOutcome: RingOutcomes.Cancelled, CountsAsMissed: true),

        new("expiry is missed",
            x => x.ExpireRingsAsync(RingOutcomes.Missed),
            RecipientSees: [RingOutcomes.Missed], CallerSees: [RingOutcomes.Missed],
            RingingAfter: [], RecordOutcome: RingOutcomes.Missed, CountsAsMissed: true),

        new("caller leaves before an answer",
            x => x.Fx.User(x.A).LeaveDmCall(x.DmId),
            RecipientSees: [RingOutcomes.Cancelled], CallerSees: [RingOutcomes.Cancelled],
            RingingAfter: [], RecordOutcome: RingOutcomes.Cancelled, CountsAsMissed: true),

        new("participant stops ringing",
            x => x.Call.StopRinging(x.A, [x.B]),
            RecipientSees: [RingOutcomes.Cancelled], CallerSees: [RingOutcomes.Cancelled],
            RingingAfter: ["C"], RecordOutcome: RingOutcomes.Cancelled, CountsAsMissed: true),

        new("busy in another call at start",
            _ => Task.CompletedTask,
            RecipientSees: [], CallerSees: [],
            RingingAfter: ["C"], RecordOutcome: RingOutcomes.Busy, CountsAsMissed: true, BusyElsewhere: true),

        new("removed from the dm while ringing",
            async x => await x.Fx.Group(x.DmId).RemoveMember(x.A, x.B),
            RecipientSees: [RingOutcomes.Removed], CallerSees: [RingOutcomes.Removed],
            RingingAfter: ["C"], RecordOutcome: RingOutcomes.Removed, CountsAsMissed: false, RecipientStaysMember: false),

        new("re-ring after missed, then accepted",
            async x =>
            {
                await x.ExpireRingsAsync(RingOutcomes.Missed);
                var again = (await x.Call.Ring(x.A, [x.B])).Ringing;
                Assert.Equal([x.B], again.Select(r => r.UserId));
                await x.Fx.JoinAsync(x.B, x.DmId);
            },
            RecipientSees: [RingOutcomes.Missed, RingOutcomes.Accepted], CallerSees: [RingOutcomes.Missed, RingOutcomes.Accepted],
            RingingAfter: [], RecordOutcome: RingOutcomes.Accepted, CountsAsMissed: false),

        new("re-ring after missed, missed again",
            async x =>
            {
                await x.ExpireRingsAsync(RingOutcomes.Missed);
                await x.Call.Ring(x.A, [x.B]);
                await x.ExpireRingsAsync(RingOutcomes.Missed, count: 2);
            },
            RecipientSees: [RingOutcomes.Missed, RingOutcomes.Missed], CallerSees: [RingOutcomes.Missed, RingOutcomes.Missed],
            RingingAfter: [], RecordOutcome: RingOutcomes.Missed, CountsAsMissed: true),
    ];

    public static TheoryData<string> Scenarios => new(All.Select(s => s.Name));

    [Theory]
    [MemberData(nameof(Scenarios))]
    public async Task A_ring_ends_as_the_table_says(string name)
    {
        var scenario = All.Single(s => s.Name == name);
        var (a, b, c) = (TestIds.User("a"), TestIds.User("b"), TestIds.User("c"));
        var dm = await fx.CreateDmAsync(a, b, c);
        await using var aEvents = await EventRecorder.SubscribeAsync(fx.Client, a);
        await using var bEvents = await EventRecorder.SubscribeAsync(fx.Client, b);
        var x = new Ctx { Fx = fx, DmId = dm.Id, A = a, B = b, C = c, AEvents = aEvents, BEvents = bEvents };

        if (scenario.BusyElsewhere)
        {
            var elsewhere = await fx.CreateDmAsync(b, TestIds.User("d"));
            await fx.JoinAsync(b, elsewhere.Id);
        }

        var startedAt = fx.Time.GetUtcNow();
        var call = await fx.JoinAsync(a, dm.Id);
        Assert.True(call.CallStarted);

        // Everyone else rings with an absolute deadline; a busy member is not rung at all.
        var ringing = (await x.Call.GetPresence(a)).Ringing;
        Assert.All(ringing, r => Assert.Equal(startedAt + RingTimeout, r.ExpiresAt));
        string[] expectedRung = scenario.BusyElsewhere ? [c] : [b, c];
        Assert.Equal(expectedRung.Order(StringComparer.Ordinal), ringing.Select(r => r.UserId).Order(StringComparer.Ordinal));
        var firstRingId = ringing.SingleOrDefault(r => r.UserId == b)?.RingId;

        await scenario.Act(x);

        // Who is ringing now, as the caller and (while still a member) the recipient see it.
        var expectedRinging = scenario.RingingAfter.Select(n => n == "C" ? c : n).ToArray();
        Assert.Equal(expectedRinging, (await x.Call.GetPresence(a)).Ringing.Select(r => r.UserId));
        if (scenario.RecipientStaysMember)
        {
            Assert.Equal(expectedRinging, (await x.Call.GetPresence(b)).Ringing.Select(r => r.UserId));
        }
        else
        {
            var gone = await Assert.ThrowsAsync<DmVoiceException>(() => x.Call.GetPresence(b));
            Assert.Equal(ErrorCodes.DmNotFound, gone.Code);
        }

        // End the call: whoever is still in it leaves, and the empty call's grace runs out.
        foreach (var participant in (await x.Call.GetPresence(a)).Participants)
        {
            await fx.User(participant.UserId).LeaveDmCall(dm.Id);
        }

        fx.Advance(EmptyCallGrace);
        var ended = await aEvents.WaitForAsync<CallEndedEvent>(e => e.CallId == call.CallId);
        await EventBarrier.FlushAsync(fx.Client, dm.Id, aEvents, bEvents);

        // What each stream was told about B's ring(s): exactly these, once each, in this order.
        var toB = bEvents.RingStops(dm.Id, b);
        var toA = aEvents.RingStops(dm.Id, b);
        Assert.Equal(scenario.RecipientSees, toB.Select(e => e.Outcome));
        Assert.Equal(scenario.CallerSees, toA.Select(e => e.Outcome));
        if (firstRingId is not null)
        {
            Assert.All(toB.Take(1).Concat(toA.Take(1)), e => Assert.Equal(firstRingId, e.RingId));
        }

        Assert.Equal(toB.Length, toB.Select(e => e.RingId).Distinct().Count());
        Assert.Equal(toA.Length, toA.Select(e => e.RingId).Distinct().Count());
        Assert.All(toA.Concat(toB), e => Assert.Equal(call.CallId, e.CallId));

        // The record: the caller started it, B's outcome is the table's, and it is the history's newest entry.
        var record = ended.Record;
        Assert.Equal(CallEndReasons.Ended, ended.Reason);
        Assert.Equal(MemberOutcomes.Started, record.OutcomeOf(a));
        Assert.Equal(scenario.RecordOutcome, record.OutcomeOf(b));
        RecordAssert.Same(record, (await x.Call.GetHistory(a, 1, null)).Single());

        var bJoined = scenario.RecordOutcome == RingOutcomes.Accepted;
        Assert.Equal(bJoined ? [a, b] : [a], record.Participants);

        var directory = fx.Client.GetGrain<IUserDirectoryGrain>(b);
        if (scenario.CountsAsMissed)
        {
            var missed = await Eventually.GetAsync(
                () => directory.GetMissedCalls(null, 10), m => m.Count > 0, "B's missed call");
            RecordAssert.Same(record, Assert.Single(missed));
        }
        else
        {
            Assert.Empty(await directory.GetMissedCalls(null, 10));
        }
    }
}

[Collection(GrainClusterCollection.Name)]
public sealed class RingTransitionTestsInMemory(GrainClusterFixture fx) : RingTransitionTests(fx);

[Collection(RedisGrainClusterCollection.Name)]
public sealed class RingTransitionTestsOnRedis(RedisGrainClusterFixture fx) : RingTransitionTests(fx);

[Collection(StreamsGrainClusterCollection.Name)]
public sealed class RingTransitionTestsWithStreams(StreamsGrainClusterFixture fx) : RingTransitionTests(fx);
