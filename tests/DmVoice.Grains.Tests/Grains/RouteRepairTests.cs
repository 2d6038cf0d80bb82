using DmVoice.Tests.Infrastructure;
using DmVoice.TestSupport.Orleans;

namespace DmVoice.Tests.Grains;

/// <summary>
/// Direct delivery reaches a member only at the gateways the call knows of for them. When a member's
/// user grain cannot keep a live call posted (the write that would have stored the call's registration
/// failed, and the activation went with it), the call hears of it at once and asks the member again
/// within seconds, not at its next member check (a minute here, as in production); and a device that
/// connected meanwhile, whose sync could not show the call, is sent the call's latest event again
/// as soon as the call learns of its gateway.
/// </summary>
[Collection(FaultyStorageMinuteCheckClusterCollection.Name)]
public sealed class RouteRepairTests(FaultyStorageMinuteCheckClusterFixture fx)
{
    private static readonly TimeSpan WellBeforeTheMemberCheck = TimeSpan.FromSeconds(15);

    [Fact]
    public async Task A_device_that_connects_after_its_users_index_lost_a_call_to_a_failed_write_hears_the_call_within_seconds()
    {
        var (a, b, c) = (TestIds.User("a"), TestIds.User("b"), TestIds.User("c"));
        var dm = await fx.CreateDmAsync(a, b, c);
        await using var aDevice = await EventRecorder.SubscribeAsync(fx.Client, a);

        // b has no device: the call learns that b is nowhere and registers with b's grain, in memory only.
        var call = await fx.JoinAsync(a, dm.Id);
        var live = new LiveCallRef(CallContext.Dm(dm.Id), call.CallId);
        Assert.Contains(live, await fx.User(b).GetLiveCalls());

        // A device of b's connects while storage fails (Redis restarting): the write fails and b's
        // activation goes, with the call's registration that no write had stored yet.
        fx.Faults.FailWrites("voice", b);
        using (var failing = await TestGateway.StartAsync(fx.Client))
        {
            await Assert.ThrowsAsync<OrleansException>(() => fx.User(b).ConnectionOpened("failed-connection", failing.Route));
        }

        // The device reconnects, to another gateway. b's new activation does not know the call, so it
        // tells the call nothing and its sync would not show the call.
        await using var bDevice = await EventRecorder.SubscribeAsync(fx.Client, b);
        Assert.DoesNotContain(live, await fx.User(b).GetLiveCalls());

        // The call changes before it hears of b's new gateway: the event goes to where b was.
        await fx.Call(dm.Id).UpdateState(a, new VoiceStatePatch(IsMuted: true));

        // Within seconds the call registers with b again, learns the gateway and sends its latest
        // event there: b's device is at the call's version without waiting for another change.
        var caughtUp = await bDevice.WaitForAsync<UserUpdatedEvent>(e => e.DmGroupId == dm.Id && e.User.UserId == a && e.User.IsMuted, WellBeforeTheMemberCheck);
        var presence = await fx.Call(dm.Id).GetPresence(b);
        Assert.Equal(presence.Version, caughtUp.Version);
        await Eventually.GetAsync(() => fx.User(b).GetLiveCalls(), calls => calls.Contains(live), "b's index to have the call again");

        // From then on b's devices hear the call as it happens.
        await fx.Call(dm.Id).UpdateState(a, new VoiceStatePatch(IsMuted: false));
        await bDevice.WaitForAsync<UserUpdatedEvent>(e => e.DmGroupId == dm.Id && e.User.UserId == a && !e.User.IsMuted, WellBeforeTheMemberCheck);
    }
}
