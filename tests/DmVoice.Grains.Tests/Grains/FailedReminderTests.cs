using DmVoice.Tests.Infrastructure;
using DmVoice.TestSupport.Orleans;

namespace DmVoice.Tests.Grains;

/// <summary>
/// With durable deadlines a grain registers a reminder before it writes a change it made in memory. A
/// registration that fails (the reminder's silo has just died) fails the request as a failed write does:
/// nothing of it survives, also not in the activation's memory, where a read would otherwise find it
/// (docs/RELIABILITY.md, finding 9).
/// </summary>
[Collection(FaultyRemindersClusterCollection.Name)]
public sealed class FailedReminderTests(FaultyRemindersClusterFixture fx)
{
    [Fact]
    public async Task A_call_start_whose_reminder_cannot_be_registered_leaves_no_call_to_read_and_a_retry_starts_one()
    {
        var (a, b) = (TestIds.User("a"), TestIds.User("b"));
        var dm = await fx.CreateDmAsync(a, b);
        await using var bEvents = await EventRecorder.SubscribeAsync(fx.Client, b);

        var refusedBefore = fx.Reminders.RefusedCount;
        fx.Reminders.FailRegistrations = true;
        try
        {
            await Assert.ThrowsAnyAsync<Exception>(() => fx.JoinAsync(a, dm.Id));
        }
        finally
        {
            fx.Reminders.FailRegistrations = false;
        }

        Assert.True(fx.Reminders.RefusedCount > refusedBefore, "No registration was refused: the test did not stage the failure.");
        var presence = await fx.Call(dm.Id).GetPresence(b);
        Assert.Null(presence.CallId);
        Assert.Empty(presence.Ringing);
        Assert.Equal(0, presence.Version);
        await Eventually.GetAsync(() => fx.User(a).GetSeat(), seat => seat is null, "a to hold no seat in the call that never started");

        // Trying again starts the call with the first version, and it is the only one b hears of.
        var call = await fx.JoinAsync(a, dm.Id);
        var started = await bEvents.WaitForAsync<CallStartedEvent>(e => e.CallId == call.CallId);
        Assert.Equal(1, started.Version);
        Assert.Single(bEvents.OfType<CallStartedEvent>());
        Assert.Equal(call.CallId, (await fx.Call(dm.Id).GetPresence(b)).CallId);
    }

    [Fact]
    public async Task A_device_a_lease_could_not_register_its_reminder_for_is_not_tracked_and_tracking_again_stores_it()
    {
        var user = TestIds.User("a");
        var lease = fx.Client.GetGrain<IGatewayLeaseGrain>("gw-" + Guid.NewGuid().ToString("N")[..8]);
        await lease.Renew(TimeSpan.FromMinutes(1), continuing: false);

        fx.Reminders.FailRegistrations = true;
        try
        {
            await Assert.ThrowsAnyAsync<Exception>(() => lease.Track(user));
        }
        finally
        {
            fx.Reminders.FailRegistrations = false;
        }

        Assert.False(await lease.Tracks(user));

        await lease.Track(user);
        Assert.True(await lease.Tracks(user));
    }
}
