using System.Net.Http.Json;
using DmVoice.Gateway.Tests.Api;
using Microsoft.Extensions.Time.Testing;

namespace DmVoice.Gateway.Tests.Faults;

/// <summary>docs/API.md: a request that fails changes nothing, also when it failed because Redis was down.</summary>
public sealed class FailedWriteOverHttpTests : IAsyncLifetime
{
    private readonly FakeTimeProvider _callTime = new(DateTimeOffset.UtcNow);
    private RedisModeGateway _cluster = null!;

    public async ValueTask InitializeAsync() => _cluster = await RedisModeGateway.StartAsync(durable: true, _callTime, FaultAssert.QuickTimeouts());

    public async ValueTask DisposeAsync() => await (_cluster?.DisposeAsync() ?? ValueTask.CompletedTask);

    [Fact]
    public async Task A_join_and_a_state_change_refused_with_503_while_redis_is_down_leave_no_trace()
    {
        await using var alice = Rest.NewUser(_cluster.Gateway.BaseAddress, "alice");
        await using var bob = Rest.NewUser(_cluster.Gateway.BaseAddress, "bob");
        await using var carol = Rest.NewUser(_cluster.Gateway.BaseAddress, "carol");
        var dm = await alice.CreateDmAsync(bob, carol);
        await alice.JoinAsync(dm.Id);
        var bobPhone = await bob.ConnectAsync();

        await _cluster.Redis.KillAsync();
        await FaultAssert.UnavailableAsync(await carol.SendAsync("POST", $"/dm-groups/{dm.Id}/voice-presence/join"));
        await FaultAssert.UnavailableAsync(await alice.SendAsync("PUT", $"/dm-groups/{dm.Id}/voice-presence/state", """{"isMuted":true}"""));

        // The grains that could not store dropped what they had changed; once Redis is back, reading
        // the call finds it as it was, and no device heard of either change.
        await _cluster.Redis.RestartAsync();
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
