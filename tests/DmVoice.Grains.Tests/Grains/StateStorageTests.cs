using DmVoice.Grains.Calls;
using DmVoice.Grains.Groups;
using DmVoice.Grains.Infrastructure;
using DmVoice.Grains.Users;
using DmVoice.Tests.Infrastructure;
using DmVoice.TestSupport.Orleans;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Storage;
using StackExchange.Redis;

namespace DmVoice.Tests.Grains;

/// <summary>How grain state looks in Redis: the binary form, and JSON from earlier releases still read.</summary>
public sealed class StateStorageTests
{
    [Fact]
    public async Task State_is_stored_in_the_binary_form_and_state_an_earlier_release_stored_as_json_is_still_read()
    {
        await using var cluster = await RedisModeCluster.StartAsync(silos: 1);
        var (a, b) = (TestIds.User("a"), TestIds.User("b"));
        var dmId = DmGroupIds.ForPair(a, b);
        await cluster.Client.GetGrain<IDmGroupGrain>(dmId).Create(a, [b], null, isGroup: false);
        var joined = await cluster.Client.GetGrain<IUserVoiceGrain>(a).JoinDmCall(dmId, new JoinRequest("Alice"));

        await using var redis = await ConnectionMultiplexer.ConnectAsync(cluster.Redis.ConnectionString);
        var db = redis.GetDatabase();
        var voiceKey = FindStateKey(redis, a, "voice");
        var groupKey = FindStateKey(redis, dmId, "group");
        var callKey = FindStateKey(redis, dmId, "call");
        foreach (var key in new[] { voiceKey, groupKey, callKey })
        {
            byte[] data = (await db.HashGetAsync(key, "data"))!;
            Assert.Equal(GrainStateSerializer.BinaryFormatMarker, data[0]);
        }

        // Rewrite the three states as Orleans' JSON storage serializer (the earlier releases' format) wrote them.
        var binary = cluster.SiloServices().GetRequiredService<IGrainStorageSerializer>();
        var json = ActivatorUtilities.GetServiceOrCreateInstance<JsonGrainStorageSerializer>(cluster.SiloServices());
        var asJson = new Dictionary<RedisKey, byte[]>
        {
            [voiceKey] = await AsJsonAsync<UserVoiceState>(db, voiceKey, binary, json),
            [groupKey] = await AsJsonAsync<DmGroupState>(db, groupKey, binary, json),
            [callKey] = await AsJsonAsync<DmCallState>(db, callKey, binary, json),
        };
        await cluster.StopAllAsync();
        foreach (var (key, data) in asJson)
        {
            await db.HashSetAsync(key, "data", data);
        }

        await cluster.StartSilosAsync(1);
        await cluster.StartClientAsync();

        var client = cluster.Client;
        Assert.Equal([a, b], (await client.GetGrain<IDmGroupGrain>(dmId).Get(b)).MemberIds);
        var presence = await client.GetGrain<IDmCallGrain>(dmId).GetPresence(b);
        Assert.Equal(joined.CallId, presence.CallId);
        Assert.Equal([a], presence.Participants.Select(p => p.UserId));
        Assert.Equal(CallContext.Dm(dmId), (await client.GetGrain<IUserVoiceGrain>(a).GetSeat())?.Call);

        // The next write of a grain stores it in the binary form.
        await client.GetGrain<IUserVoiceGrain>(b).JoinDmCall(dmId, new JoinRequest("Bob"));
        byte[] rewritten = (await db.HashGetAsync(callKey, "data"))!;
        Assert.Equal(GrainStateSerializer.BinaryFormatMarker, rewritten[0]);
        Assert.Equal([a, b], (await client.GetGrain<IDmCallGrain>(dmId).GetPresence(a)).Participants.Select(p => p.UserId));
    }

    [Fact]
    public async Task With_the_json_state_format_for_a_rolling_upgrade_state_is_written_as_json_and_read_back()
    {
        var settings = new Dictionary<string, string?> { ["Cluster:StateFormat"] = "Json" };
        await using var cluster = await RedisModeCluster.StartAsync(silos: 1, settings);
        var (a, b) = (TestIds.User("a"), TestIds.User("b"));
        var dmId = DmGroupIds.ForPair(a, b);
        await cluster.Client.GetGrain<IDmGroupGrain>(dmId).Create(a, [b], null, isGroup: false);
        var joined = await cluster.Client.GetGrain<IUserVoiceGrain>(a).JoinDmCall(dmId, new JoinRequest("Alice"));

        await using var redis = await ConnectionMultiplexer.ConnectAsync(cluster.Redis.ConnectionString);
        byte[] data = (await redis.GetDatabase().HashGetAsync(FindStateKey(redis, dmId, "call"), "data"))!;
        Assert.Equal((byte)'{', data[0]);

        await cluster.StopAllAsync();
        await cluster.StartSilosAsync(1);
        await cluster.StartClientAsync();
        var presence = await cluster.Client.GetGrain<IDmCallGrain>(dmId).GetPresence(b);
        Assert.Equal(joined.CallId, presence.CallId);
        Assert.Equal([a], presence.Participants.Select(p => p.UserId));
    }

    private static RedisKey FindStateKey(ConnectionMultiplexer redis, string grainKey, string stateName)
    {
        var server = redis.GetServers().Single();
        var keys = server.Keys(pattern: $"*{grainKey}*").Where(k => k.ToString().Contains(stateName, StringComparison.Ordinal)).ToArray();
        return Assert.Single(keys);
    }

    private static async Task<byte[]> AsJsonAsync<T>(IDatabase db, RedisKey key, IGrainStorageSerializer binary, IGrainStorageSerializer json)
    {
        byte[] stored = (await db.HashGetAsync(key, "data"))!;
        var state = binary.Deserialize<T>(new BinaryData(stored));
        var asJson = json.Serialize(state).ToArray();
        Assert.Equal((byte)'{', asJson[0]);
        Assert.True(stored.Length < asJson.Length, $"{typeof(T).Name}: {stored.Length} bytes in the binary form, {asJson.Length} as JSON");
        return asJson;
    }
}
