using DmVoice.Tests.Infrastructure;
using DmVoice.TestSupport.Orleans;

namespace DmVoice.Tests.Grains;

/// <summary>Call records, the DM's history (paging, retention) and each user's missed calls.</summary>
/// <summary>Run against in-memory storage, Redis storage, and with stream delivery (the classes at the end).</summary>
public abstract class CallHistoryTests(GrainClusterFixture fx)
{
    private const int HistoryLimit = 5; // Calls:HistoryLimit in the fixture

    /// <summary>One short 1:1 call that b declines; returns its id.</summary>
    private async Task<string> DeclinedCallAsync(string dmId, string caller, string recipient)
    {
        var call = await fx.JoinAsync(caller, dmId);
        await fx.Call(dmId).Decline(recipient);
        await Eventually.GetAsync(() => fx.Call(dmId).GetPresence(caller), p => p.CallId is null, "the call to end");
        return call.CallId;
    }

    [Fact]
    public async Task A_call_record_says_who_started_when_how_long_who_joined_and_how_each_member_took_part()
    {
        var (a, b, c, d, e) = (TestIds.User("a"), TestIds.User("b"), TestIds.User("c"), TestIds.User("d"), TestIds.User("e"));
        var dm = await fx.CreateDmAsync(a, b, c, d, e);
        await using var eEvents = await EventRecorder.SubscribeAsync(fx.Client, e);
        var startedAt = fx.Time.GetUtcNow();
        var call = await fx.JoinAsync(a, dm.Id);
        await fx.Call(dm.Id).StopRinging(a, [e]);

        fx.Advance(TimeSpan.FromSeconds(5));
        await fx.JoinAsync(b, dm.Id);
        await fx.Call(dm.Id).Decline(c);
        fx.Advance(TimeSpan.FromSeconds(25)); // d's ring times out
        await eEvents.WaitForAsync<RingStoppedEvent>(ev => ev.UserId == d && ev.Outcome == RingOutcomes.Missed);

        // The starter drops out and comes back: still the starter, not "accepted".
        await fx.User(a).LeaveDmCall(dm.Id);
        await fx.JoinAsync(a, dm.Id);
        fx.Advance(TimeSpan.FromSeconds(10));
        await fx.User(a).LeaveDmCall(dm.Id);
        await fx.User(b).LeaveDmCall(dm.Id);
        fx.Advance(TimeSpan.FromSeconds(10));

        var ended = await eEvents.WaitForAsync<CallEndedEvent>(ev => ev.CallId == call.CallId);
        var record = ended.Record;
        Assert.Equal(call.CallId, record.CallId);
        Assert.Equal(dm.Id, record.DmGroupId);
        Assert.Equal(a, record.StartedBy);
        Assert.Equal(startedAt, record.StartedAt);
        Assert.Equal(startedAt + TimeSpan.FromSeconds(50), record.EndedAt);
        Assert.Equal(50_000, record.DurationMs);
        Assert.Equal(ended.DurationMs, record.DurationMs);
        Assert.Equal(CallEndReasons.Ended, record.EndReason);
        Assert.Equal([a, b], record.Participants);
        Assert.Equal(
            [
                new MemberOutcome(a, MemberOutcomes.Started),
                new MemberOutcome(b, RingOutcomes.Accepted),
                new MemberOutcome(c, RingOutcomes.Declined),
                new MemberOutcome(d, RingOutcomes.Missed),
                new MemberOutcome(e, RingOutcomes.Cancelled),
            ],
            record.Outcomes);

        RecordAssert.Same(record, Assert.Single(await fx.Call(dm.Id).GetHistory(c, 10, null)));
    }

    [Fact]
    public async Task A_member_who_missed_the_ring_but_joined_later_accepted_and_has_no_missed_call()
    {
        var (a, b, c) = (TestIds.User("a"), TestIds.User("b"), TestIds.User("c"));
        var dm = await fx.CreateDmAsync(a, b, c);
        await using var aEvents = await EventRecorder.SubscribeAsync(fx.Client, a);
        var call = await fx.JoinAsync(a, dm.Id);
        await fx.Call(dm.Id).StopRinging(a, [c]);
        fx.Advance(TimeSpan.FromSeconds(30));
        await aEvents.WaitForAsync<RingStoppedEvent>(ev => ev.UserId == b && ev.Outcome == RingOutcomes.Missed);

        await fx.JoinAsync(b, dm.Id);
        await fx.User(b).LeaveDmCall(dm.Id);
        await fx.User(a).LeaveDmCall(dm.Id);
        fx.Advance(TimeSpan.FromSeconds(10));

        var record = (await aEvents.WaitForAsync<CallEndedEvent>(ev => ev.CallId == call.CallId)).Record;
        Assert.Equal(RingOutcomes.Accepted, record.OutcomeOf(b));
        Assert.Equal(RingOutcomes.Cancelled, record.OutcomeOf(c));
        await Eventually.GetAsync(
            () => fx.Client.GetGrain<IUserDirectoryGrain>(c).GetMissedCalls(null, 10), m => m.Count == 1, "c's missed call");
        Assert.Empty(await fx.Client.GetGrain<IUserDirectoryGrain>(b).GetMissedCalls(null, 10));
    }

    [Fact]
    public async Task A_member_removed_from_the_dm_gets_no_missed_call_for_it()
    {
        var (a, b, c) = (TestIds.User("a"), TestIds.User("b"), TestIds.User("c"));
        var dm = await fx.CreateDmAsync(a, b, c);
        await using var aEvents = await EventRecorder.SubscribeAsync(fx.Client, a);
        var call = await fx.JoinAsync(a, dm.Id);
        fx.Advance(TimeSpan.FromSeconds(30));
        await aEvents.WaitForAsync<RingStoppedEvent>(ev => ev.UserId == c && ev.Outcome == RingOutcomes.Missed);

        await fx.Group(dm.Id).RemoveMember(a, c);
        await fx.User(a).LeaveDmCall(dm.Id);
        fx.Advance(TimeSpan.FromSeconds(10));

        var record = (await aEvents.WaitForAsync<CallEndedEvent>(ev => ev.CallId == call.CallId)).Record;
        Assert.Equal(RingOutcomes.Missed, record.OutcomeOf(c));
        await Eventually.GetAsync(
            () => fx.Client.GetGrain<IUserDirectoryGrain>(b).GetMissedCalls(null, 10), m => m.Count == 1, "b's missed call");
        Assert.Empty(await fx.Client.GetGrain<IUserDirectoryGrain>(c).GetMissedCalls(null, 10));
    }

    [Fact]
    public async Task History_is_newest_first_pages_with_before_honours_the_limit_and_keeps_only_the_newest_five()
    {
        var (a, b) = (TestIds.User("a"), TestIds.User("b"));
        var dm = await fx.CreateDmAsync(a, b);
        var callIds = new List<string>();
        for (var i = 0; i < HistoryLimit + 2; i++)
        {
            callIds.Add(await DeclinedCallAsync(dm.Id, i % 2 == 0 ? a : b, i % 2 == 0 ? b : a));
            fx.Advance(TimeSpan.FromMinutes(1));
        }

        // Seven calls, five kept: the two oldest are gone.
        var kept = Enumerable.Reverse(callIds).Take(HistoryLimit).ToArray();
        var all = await fx.Call(dm.Id).GetHistory(b, 100, null);
        Assert.Equal(kept, all.Select(r => r.CallId));
        Assert.Equal(all.Select(r => r.StartedAt).OrderDescending(), all.Select(r => r.StartedAt));
        Assert.All(all, r => Assert.Equal(CallEndReasons.Declined, r.EndReason));

        Assert.Equal(kept[..1], (await fx.Call(dm.Id).GetHistory(a, 1, null)).Select(r => r.CallId));

        // Paging: each page starts before the last one's oldest call.
        var page1 = await fx.Call(dm.Id).GetHistory(a, 2, null);
        var page2 = await fx.Call(dm.Id).GetHistory(a, 2, page1[^1].StartedAt);
        var page3 = await fx.Call(dm.Id).GetHistory(a, 2, page2[^1].StartedAt);
        var page4 = await fx.Call(dm.Id).GetHistory(a, 2, page3[^1].StartedAt);
        Assert.Equal(kept, page1.Concat(page2).Concat(page3).Select(r => r.CallId));
        Assert.Single(page3);
        Assert.Empty(page4);

        // "before" is exclusive and works with any instant, not only record times.
        var justAfterSecond = all[1].StartedAt + TimeSpan.FromSeconds(1);
        Assert.Equal(kept[1..], (await fx.Call(dm.Id).GetHistory(a, 100, justAfterSecond)).Select(r => r.CallId));
    }

    [Fact]
    public async Task History_is_only_for_members()
    {
        var (a, b, stranger) = (TestIds.User("a"), TestIds.User("b"), TestIds.User("x"));
        var dm = await fx.CreateDmAsync(a, b);
        await DeclinedCallAsync(dm.Id, a, b);

        var error = await Assert.ThrowsAsync<DmVoiceException>(() => fx.Call(dm.Id).GetHistory(stranger, 10, null));
        Assert.Equal(ErrorCodes.DmNotFound, error.Code);
        var unknown = await Assert.ThrowsAsync<DmVoiceException>(() => fx.Call(DmGroupIds.NewGroup()).GetHistory(a, 10, null));
        Assert.Equal(ErrorCodes.DmNotFound, unknown.Code);
        Assert.Single(await fx.Call(dm.Id).GetHistory(a, 10, null));
    }

    [Fact]
    public async Task A_missed_and_a_busy_recipient_both_get_a_missed_call_and_since_filters_by_end_time()
    {
        var (a, missing, busy, other) = (TestIds.User("a"), TestIds.User("m"), TestIds.User("busy"), TestIds.User("o"));
        var dm = await fx.CreateDmAsync(a, missing, busy);
        var elsewhere = await fx.CreateDmAsync(busy, other);
        await using var aEvents = await EventRecorder.SubscribeAsync(fx.Client, a);
        await fx.JoinAsync(busy, elsewhere.Id);
        await fx.JoinAsync(other, elsewhere.Id); // a live two-person call, so it outlasts every ring timeout here

        // First call: "missing" misses it, "busy" is in another call.
        var first = await fx.JoinAsync(a, dm.Id);
        Assert.Equal([missing], (await fx.Call(dm.Id).GetPresence(a)).Ringing.Select(r => r.UserId));
        fx.Advance(TimeSpan.FromSeconds(30));
        await fx.User(a).LeaveDmCall(dm.Id);
        fx.Advance(TimeSpan.FromSeconds(10));
        var firstRecord = (await aEvents.WaitForAsync<CallEndedEvent>(e => e.CallId == first.CallId)).Record;
        Assert.Equal(RingOutcomes.Missed, firstRecord.OutcomeOf(missing));
        Assert.Equal(RingOutcomes.Busy, firstRecord.OutcomeOf(busy));

        fx.Advance(TimeSpan.FromMinutes(5));
        var between = fx.Time.GetUtcNow();

        // Second call: cancelled before anyone answered (busy is still busy).
        var second = await fx.JoinAsync(a, dm.Id);
        await fx.User(a).LeaveDmCall(dm.Id);
        fx.Advance(TimeSpan.FromSeconds(10));
        var secondRecord = (await aEvents.WaitForAsync<CallEndedEvent>(e => e.CallId == second.CallId)).Record;
        Assert.Equal(RingOutcomes.Cancelled, secondRecord.OutcomeOf(missing));
        Assert.Equal(RingOutcomes.Busy, secondRecord.OutcomeOf(busy));

        foreach (var user in new[] { missing, busy })
        {
            var directory = fx.Client.GetGrain<IUserDirectoryGrain>(user);
            var missed = await Eventually.GetAsync(() => directory.GetMissedCalls(null, 10), m => m.Count == 2, $"{user}'s two missed calls");
            Assert.Equal([second.CallId, first.CallId], missed.Select(r => r.CallId));
            RecordAssert.Same(secondRecord, missed[0]);
            Assert.Equal([second.CallId], (await directory.GetMissedCalls(between, 10)).Select(r => r.CallId));
            Assert.Equal([second.CallId, first.CallId], (await directory.GetMissedCalls(firstRecord.EndedAt, 10)).Select(r => r.CallId));
            Assert.Empty(await directory.GetMissedCalls(secondRecord.EndedAt + TimeSpan.FromTicks(1), 10));
            Assert.Equal([second.CallId], (await directory.GetMissedCalls(null, 1)).Select(r => r.CallId));
        }

        // The caller missed nothing.
        Assert.Empty(await fx.Client.GetGrain<IUserDirectoryGrain>(a).GetMissedCalls(null, 10));
    }
}

[Collection(GrainClusterCollection.Name)]
public sealed class CallHistoryTestsInMemory(GrainClusterFixture fx) : CallHistoryTests(fx);

[Collection(RedisGrainClusterCollection.Name)]
public sealed class CallHistoryTestsOnRedis(RedisGrainClusterFixture fx) : CallHistoryTests(fx);

[Collection(StreamsGrainClusterCollection.Name)]
public sealed class CallHistoryTestsWithStreams(StreamsGrainClusterFixture fx) : CallHistoryTests(fx);
