using DmVoice.LiveKit;
using DmVoice.Tests.Infrastructure;
using DmVoice.TestSupport.LiveKit;
using DmVoice.TestSupport.Orleans;

namespace DmVoice.Tests.Grains;

/// <summary>
/// What a call owes LiveKit (removing someone's media, deleting the room) is kept in the call's own
/// state, so it survives the silo that was sending it: the next activation sends it.
/// </summary>
public sealed class MediaCommandDurabilityTests
{
    [Fact]
    public async Task A_removal_LiveKit_refused_while_the_silos_went_away_is_sent_by_the_calls_next_activation()
    {
        TestEnvironment.Require(TestEnvironment.FindOnPath("redis-server") is not null, "'redis-server' was not found on PATH");
        await using var liveKit = await FakeLiveKitServer.StartAsync();
        await using var cluster = await RedisModeCluster.StartAsync(silos: 2, new Dictionary<string, string?>
        {
            ["LiveKit:Url"] = liveKit.Url.ToString(),
            ["LiveKit:ApiKey"] = liveKit.ApiKey,
            ["LiveKit:ApiSecret"] = liveKit.ApiSecret,
            ["LiveKit:CommandRetryDelay"] = "00:00:00.200",
            ["LiveKit:CommandRetryMaxDelay"] = "00:00:01",
        });
        var (a, b, c) = (TestIds.User("a"), TestIds.User("b"), TestIds.User("c"));
        var dmId = DmGroupIds.NewGroup();
        var room = LiveKitRooms.ForDm(dmId);
        await cluster.Client.GetGrain<IDmGroupGrain>(dmId).Create(a, [b, c], null, isGroup: true);
        await cluster.Client.GetGrain<IUserVoiceGrain>(a).JoinDmCall(dmId, new JoinRequest("Alice"));
        await cluster.Client.GetGrain<IUserVoiceGrain>(b).JoinDmCall(dmId, new JoinRequest("Bob"));
        liveKit.AddParticipant(room, b);

        // LiveKit is down when b is removed from the DM: the removal of b's media is owed.
        liveKit.FailNextRequests(1000);
        await cluster.Client.GetGrain<IDmGroupGrain>(dmId).RemoveMember(a, b);
        await liveKit.WaitForCallAsync("RemoveParticipant", x => x.Room == room && x.Identity == b);

        // Every silo goes away, LiveKit comes back, and the silos start again.
        await cluster.StopAllAsync();
        liveKit.FailNextRequests(0);
        liveKit.ClearCalls();
        await cluster.StartSilosAsync(2);
        await cluster.StartClientAsync();

        // The call's first activation sends what it owed.
        Assert.Equal([a], (await cluster.Client.GetGrain<IDmCallGrain>(dmId).GetPresence(a)).Participants.Select(p => p.UserId));
        var removal = await liveKit.WaitForCallAsync("RemoveParticipant", x => x.Room == room && x.Identity == b && x.StatusCode == 200);
        Assert.Equal(room, removal.GrantedRoom);
        Assert.DoesNotContain(b, liveKit.Rooms[room]);
    }
}
