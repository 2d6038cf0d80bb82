using DmVoice.Tests.Infrastructure;
using DmVoice.TestSupport.Orleans;

namespace DmVoice.Tests.Grains;

/// <summary>
/// A room whose events cannot be sent for a moment (stream delivery, its queue's silo gone) sends them
/// later, in order, instead of dropping them: a call's last events have no later event to show
/// devices the gap (docs/RELIABILITY.md, finding 6).
/// </summary>
[Collection(FaultyStreamsClusterCollection.Name)]
public sealed class FailedPublishTests(FaultyStreamsClusterFixture fx)
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
}
