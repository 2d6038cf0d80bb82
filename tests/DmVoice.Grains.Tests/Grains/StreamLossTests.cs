using DmVoice.Tests.Infrastructure;
using DmVoice.TestSupport.Orleans;

namespace DmVoice.Tests.Grains;

/// <summary>
/// Stream delivery losing a call's events, which have no later event to show devices the gap
/// (docs/RELIABILITY.md, findings 6 and 8): a room whose events cannot be sent for a moment (its
/// queue's silo gone) sends them later, in order, instead of dropping them; and events accepted
/// and then lost without an error reach the member anyway, through the repeat of their latest.
/// </summary>
[Collection(FaultyStreamsClusterCollection.Name)]
public sealed class StreamLossTests(FaultyStreamsClusterFixture fx)
{
    [Fact]
    public async Task Events_a_room_could_not_publish_reach_the_members_in_order_once_the_streams_work_again()
    {
        var (a, b) = (TestIds.User("a"), TestIds.User("b"));
        var dm = await fx.CreateDmAsync(a, b);
        await using var bEvents = await EventRecorder.SubscribeAsync(fx.Client, b);

        int refusedBefore;
        long lastVersion;
        fx.Faults.FailEnqueues = true;
        try
        {
            refusedBefore = fx.Faults.Refused;
            var started = await fx.JoinAsync(a, dm.Id);
            Assert.True(started.CallStarted);

            // The call's start and its last events: a's leave and, with nobody left, the end after the grace.
            await fx.User(a).LeaveDmCall(dm.Id);
            fx.Advance(TimeSpan.FromSeconds(10));
            var over = await Eventually.GetAsync(() => fx.Call(dm.Id).GetPresence(b), p => p.CallId is null, "the call to end while its events cannot be sent");
            lastVersion = over.Version;
            Assert.True(fx.Faults.Refused > refusedBefore, "No enqueue was refused: the test did not fail any publish.");
        }
        finally
        {
            fx.Faults.FailEnqueues = false;
        }

        var ended = await bEvents.WaitForAsync<CallEndedEvent>(e => e.DmGroupId == dm.Id, TimeSpan.FromSeconds(15));
        Assert.Equal(lastVersion, ended.Version);
        var versions = bEvents.Events.OfType<DmVoiceEvent>().Where(e => e.DmGroupId == dm.Id).Select(e => e.Version).ToArray();
        Assert.Equal(versions.Order(), versions);
        Assert.Contains(bEvents.Events, e => e is CallStartedEvent started && started.DmGroupId == dm.Id);
    }

    [Fact]
    public async Task A_member_whose_stream_lost_every_event_of_a_call_without_an_error_still_learns_that_it_ended()
    {
        var (a, b) = (TestIds.User("a"), TestIds.User("b"));
        var dm = await fx.CreateDmAsync(a, b);
        await using var bEvents = await EventRecorder.SubscribeAsync(fx.Client, b);

        // Every event on b's stream is lost the first time it is sent: the ring, the decline and the end.
        var lostBefore = fx.Faults.Lost;
        fx.Faults.LoseFirstSendsTo = b;
        long lastVersion;
        try
        {
            var call = await fx.JoinAsync(a, dm.Id);
            Assert.True(call.CallStarted);
            await fx.Call(dm.Id).Decline(b);
            var over = await fx.Call(dm.Id).GetPresence(b);
            Assert.Null(over.CallId);
            lastVersion = over.Version;

            // The end is b's latest event: its first send is lost, its repeat reaches b.
            var ended = await bEvents.WaitForAsync<CallEndedEvent>(e => e.DmGroupId == dm.Id, TimeSpan.FromSeconds(20));
            Assert.Equal(lastVersion, ended.Version);
            Assert.Equal(CallEndReasons.Declined, ended.Reason);
        }
        finally
        {
            fx.Faults.LoseFirstSendsTo = null;
        }

        Assert.True(fx.Faults.Lost > lostBefore, "No event was lost: the test did not stage the loss.");
        var versions = bEvents.Events.OfType<DmVoiceEvent>().Where(e => e.DmGroupId == dm.Id).Select(e => e.Version).ToArray();
        Assert.Equal(versions.Order(), versions);
        Assert.Equal(lastVersion, versions[^1]);
    }
}
