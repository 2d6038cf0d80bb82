using DmVoice.Tests.Infrastructure;
using DmVoice.TestSupport.Orleans;

namespace DmVoice.Tests.Grains;

/// <summary>The same rules in Redis mode, against a real redis-server, across silo restarts.</summary>
public sealed class RedisModeTests
{
    [Fact]
    public async Task Membership_and_call_state_survive_a_restart_of_every_silo()
    {
        await using var cluster = await RedisModeCluster.StartAsync(silos: 2);
        var (a, b, c) = (TestIds.User("a"), TestIds.User("b"), TestIds.User("c"));
        var client = cluster.Client;
        var dmId = DmGroupIds.NewGroup();
        await client.GetGrain<IDmGroupGrain>(dmId).Create(a, [b, c], "weekend", isGroup: true);
        var joined = await client.GetGrain<IUserVoiceGrain>(a).JoinDmCall(dmId, new JoinRequest("Alice"));
        await client.GetGrain<IUserVoiceGrain>(b).JoinDmCall(dmId, new JoinRequest("Bob", IsMuted: true));

        await cluster.StopAllAsync();
        await cluster.StartSilosAsync(2);
        await cluster.StartClientAsync();
        client = cluster.Client;

        var group = await client.GetGrain<IDmGroupGrain>(dmId).Get(c);
        Assert.Equal("weekend", group.Name);
        Assert.Equal([a, b, c], group.MemberIds);
        var presence = await client.GetGrain<IDmCallGrain>(dmId).GetPresence(c);
        Assert.Equal(joined.CallId, presence.CallId);
        Assert.Equal([a, b], presence.Participants.Select(p => p.UserId));
        Assert.True(presence.Participants[1].IsMuted);
        Assert.Equal(CallContext.Dm(dmId), (await client.GetGrain<IUserVoiceGrain>(b).GetSeat())?.Call);
        Assert.Contains(dmId, await client.GetGrain<IUserDirectoryGrain>(c).ListedDmIdsAsync());
    }

    [Fact]
    public async Task One_call_per_user_and_stream_delivery_hold_in_redis_mode()
    {
        await using var cluster = await RedisModeCluster.StartAsync(silos: 2);
        var (a, b, c) = (TestIds.User("a"), TestIds.User("b"), TestIds.User("c"));
        var client = cluster.Client;
        var dm1 = DmGroupIds.ForPair(a, b);
        var dm2 = DmGroupIds.ForPair(a, c);
        await client.GetGrain<IDmGroupGrain>(dm1).Create(a, [b], null, isGroup: false);
        await client.GetGrain<IDmGroupGrain>(dm2).Create(a, [c], null, isGroup: false);
        await using var bEvents = await EventRecorder.SubscribeAsync(client, b);

        await client.GetGrain<IUserVoiceGrain>(a).JoinDmCall(dm1, new JoinRequest("Alice"));
        await bEvents.WaitForAsync<CallStartedEvent>(e => e.DmGroupId == dm1);
        await Task.WhenAll(
            client.GetGrain<IUserVoiceGrain>(a).JoinDmCall(dm2, new JoinRequest("Alice")),
            client.GetGrain<IUserVoiceGrain>(a).JoinDmCall(dm1, new JoinRequest("Alice")));

        var in1 = (await client.GetGrain<IDmCallGrain>(dm1).GetPresence(a)).Participants.Any(p => p.UserId == a);
        var in2 = (await client.GetGrain<IDmCallGrain>(dm2).GetPresence(a)).Participants.Any(p => p.UserId == a);
        Assert.True(in1 ^ in2);

        var error = await Assert.ThrowsAsync<DmVoiceException>(() => client.GetGrain<IDmCallGrain>(dm1).GetPresence(c));
        Assert.Equal(ErrorCodes.DmNotFound, error.Code);
    }
}
