using System.Net.Http.Json;
using DmVoice.Gateway.Tests.Api;
using DmVoice.TestSupport.Redis;
using Microsoft.Extensions.Time.Testing;

namespace DmVoice.Gateway.Tests.Faults;

/// <summary>docs/API.md: a request that fails changes nothing, also when it failed because Redis was down.</summary>
public sealed class FailedWriteOverHttpTests : IAsyncLifetime
{
    private readonly FakeTimeProvider _callTime = new(DateTimeOffset.UtcNow);
    private RedisServer _redis = null!;
    private StandaloneSilo _silo = null!;
    private GatewayServer _gateway = null!;

    public async ValueTask InitializeAsync()
    {
        _redis = await RedisServer.StartDurableAsync();
        _silo = new StandaloneSilo(_callTime, _redis, FaultAssert.QuickTimeouts());
        await _silo.StartAsync();
        _gateway = await _silo.StartGatewayAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await _gateway.DisposeAsync();
        await _silo.DisposeAsync();
        await _redis.DisposeAsync();
    }

    [Fact]
    public async Task A_join_and_a_state_change_refused_with_503_while_redis_is_down_leave_no_trace()
    {
        await using var alice = Rest.NewUser(_gateway.BaseAddress, "alice");
        await using var bob = Rest.NewUser(_gateway.BaseAddress, "bob");
        await using var carol = Rest.NewUser(_gateway.BaseAddress, "carol");
        var dm = await alice.CreateDmAsync(bob, carol);
        await alice.JoinAsync(dm.Id);
        var bobPhone = await bob.ConnectAsync();

        await _redis.KillAsync();
        await FaultAssert.UnavailableAsync(await carol.SendAsync("POST", $"/dm-groups/{dm.Id}/voice-presence/join"));
        await FaultAssert.UnavailableAsync(await alice.SendAsync("PUT", $"/dm-groups/{dm.Id}/voice-presence/state", """{"isMuted":true}"""));

        // The grains that could not store dropped what they had changed; once Redis is back, reading
        // the call finds it as it was, and no device heard of either change.
        await _redis.RestartAsync();
        var presence = await Eventually.GetAsync(
            async () =>
            {
                try
                {
                    return await bob.PresenceAsync(dm.Id);
                }
                catch (HttpRequestException)
                {
                    return null;
                }
            },
            p => p is not null,
            "the call to answer again after redis-server restarted");
        Assert.Equal([alice.UserId], presence!.Participants.Select(p => p.UserId));
        Assert.False(presence.Participants.Single().IsMuted);
        Assert.Null((await carol.Http.GetFromJsonAsync<MyVoiceOverview>("/me/voice", VoiceUser.Json))!.ActiveCall);
        Assert.Equal(0, bobPhone.Count(VoiceEventNames.UserJoined));
        Assert.Equal(0, bobPhone.Count(VoiceEventNames.UserUpdated));
    }
}
