using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using DmVoice.Gateway.Contracts;
using DmVoice.Gateway.Tests.Api;

namespace DmVoice.Gateway.Tests.Limits;

/// <summary>
/// What one account can do with voice channels is bounded: channels created a minute and access changes
/// (invites and removals) a minute (429 <c>rate_limited</c> with <c>Retry-After</c>), channels owned and
/// channels listed (409 <c>limit_reached</c>), and invites waiting for one user (one more is refused as
/// <c>cannot_add_user</c>, like any invite the user cannot take). The limits are set low here; the
/// defaults are in README and API.md.
/// </summary>
public sealed class ChannelCapTests : IAsyncLifetime
{
    private const int CreatedPerMinute = 2;
    private const int AccessChangesPerMinute = 3;
    private const int Owned = 3;
    private const int Listed = 4;
    private const int InvitesPending = 2;

    private GatewayServer _server = null!;

    public async ValueTask InitializeAsync() =>
        _server = await GatewayServer.StartAsync(s =>
        {
            s["Gateway:RequestsPerMinute"] = "1000000";
            s["Channels:CreatedPerMinute"] = CreatedPerMinute.ToString(CultureInfo.InvariantCulture);
            s["Channels:AccessChangesPerMinute"] = AccessChangesPerMinute.ToString(CultureInfo.InvariantCulture);
            s["Channels:OwnedPerUser"] = Owned.ToString(CultureInfo.InvariantCulture);
            s["Channels:ListedPerUser"] = Listed.ToString(CultureInfo.InvariantCulture);
            s["Channels:InvitesPendingPerUser"] = InvitesPending.ToString(CultureInfo.InvariantCulture);
        });

    public async ValueTask DisposeAsync() => await _server.DisposeAsync();

    private VoiceUser NewUser(string name) => Rest.NewUser(_server.BaseAddress, name);

    private static Task<HttpResponseMessage> CreateAsync(VoiceUser owner, params string[] memberIds) =>
        owner.Http.PostAsJsonAsync("/voice-channels", new { name = "Room", memberIds });

    private static async Task<VoiceChannel> CreatedAsync(VoiceUser owner, params string[] memberIds)
    {
        var response = await CreateAsync(owner, memberIds);
        await Rest.AssertStatusAsync(response, HttpStatusCode.Created);
        return (await response.Content.ReadFromJsonAsync<VoiceChannel>(VoiceUser.Json))!;
    }

    private static async Task<int> ListedAsync(VoiceUser user) =>
        (await user.Http.GetFromJsonAsync<VoiceChannelPage>("/voice-channels?limit=100", VoiceUser.Json))!.VoiceChannels.Count;

    private static async Task AssertRetryAfterAsync(HttpResponseMessage refused)
    {
        var problem = await Rest.AssertProblemAsync(refused, HttpStatusCode.TooManyRequests, ErrorCodes.RateLimited);
        var retryAfter = int.Parse(Assert.Single(refused.Headers.GetValues("Retry-After")), CultureInfo.InvariantCulture);
        Assert.InRange(retryAfter, 1, 60);
        Assert.Equal(retryAfter, problem.GetProperty("retryAfterSeconds").GetInt32());
    }

    private void NextMinute() => _server.Time.Advance(TimeSpan.FromMinutes(1));

    [Fact]
    public async Task A_user_creates_at_most_the_limit_of_channels_a_minute_then_429_with_Retry_After()
    {
        await using var me = NewUser("fast-creator");
        for (var i = 0; i < CreatedPerMinute; i++)
        {
            await CreatedAsync(me);
        }

        await AssertRetryAfterAsync(await CreateAsync(me));
        Assert.Equal(CreatedPerMinute, await ListedAsync(me));

        NextMinute();
        await CreatedAsync(me);
    }

    [Fact]
    public async Task Invites_and_removals_one_owner_makes_are_limited_a_minute_then_429_with_Retry_After_and_nobody_is_invited()
    {
        await using var owner = NewUser("inviter");
        await using var member = NewUser("member");
        var victim = TestIds.User("victim");
        await using var victimUser = VoiceUser.WithToken(_server.BaseAddress, victim, TestTokens.Mint(victim));
        var channel = await owner.CreateChannelAsync("Room", member);
        await Rest.AssertStatusAsync(await owner.SendAsync("PUT", $"/voice-channels/{channel.Id}/members/{TestIds.User("made-up")}"), HttpStatusCode.OK);
        await Rest.AssertStatusAsync(await owner.SendAsync("DELETE", $"/voice-channels/{channel.Id}/members/{member.UserId}"), HttpStatusCode.OK);

        await AssertRetryAfterAsync(await owner.SendAsync("PUT", $"/voice-channels/{channel.Id}/members/{victim}"));
        Assert.Empty((await victimUser.Http.GetFromJsonAsync<ChannelInviteList>("/me/voice-channel-invites", VoiceUser.Json))!.Invites);

        // A creation's invites count too, and more than a minute's worth at once is never possible.
        NextMinute();
        await Rest.AssertProblemAsync(
            await CreateAsync(owner, Enumerable.Range(0, AccessChangesPerMinute + 1).Select(_ => TestIds.User("many")).ToArray()),
            HttpStatusCode.UnprocessableEntity,
            ErrorCodes.ValidationFailed);
        await CreatedAsync(owner, TestIds.User("one"), TestIds.User("two"));
        await Rest.AssertStatusAsync(await owner.SendAsync("PUT", $"/voice-channels/{channel.Id}/members/{TestIds.User("made-up")}"), HttpStatusCode.OK);
        await AssertRetryAfterAsync(await owner.SendAsync("PUT", $"/voice-channels/{channel.Id}/members/{victim}"));
        Assert.Empty((await victimUser.Http.GetFromJsonAsync<ChannelInviteList>("/me/voice-channel-invites", VoiceUser.Json))!.Invites);

        NextMinute();
        await Rest.AssertStatusAsync(await owner.SendAsync("PUT", $"/voice-channels/{channel.Id}/members/{victim}"), HttpStatusCode.OK);
        Assert.Single((await victimUser.Http.GetFromJsonAsync<ChannelInviteList>("/me/voice-channel-invites", VoiceUser.Json))!.Invites);
    }

    [Fact]
    public async Task Channels_one_user_owns_are_capped_and_deleting_one_gives_it_back()
    {
        await using var me = NewUser("owner");
        var first = await CreatedAsync(me);
        for (var i = 1; i < Owned; i++)
        {
            NextMinute();
            await CreatedAsync(me);
        }

        NextMinute();
        var problem = await Rest.AssertProblemAsync(await CreateAsync(me), HttpStatusCode.Conflict, ErrorCodes.LimitReached);
        Assert.Contains("own", problem.Str("detail"), StringComparison.Ordinal);

        await Rest.AssertStatusAsync(await me.SendAsync("DELETE", $"/voice-channels/{first.Id}"), HttpStatusCode.NoContent);
        await Eventually.GetAsync(async () => await CreateAsync(me), r => r.StatusCode == HttpStatusCode.Created, "a deleted channel to stop counting as owned");
    }

    [Fact]
    public async Task A_user_whose_channel_list_is_full_can_neither_create_nor_accept_another_and_leaving_one_makes_room()
    {
        await using var me = NewUser("collector");
        var hosts = Enumerable.Range(0, Listed + 1).Select(i => NewUser($"host{i}")).ToArray();
        var channels = new List<VoiceChannel>();
        foreach (var host in hosts)
        {
            channels.Add(await CreatedAsync(host, me.UserId));
            if (channels.Count <= Listed)
            {
                await me.AcceptChannelInviteAsync(channels[^1].Id);
            }
        }

        Assert.Equal(Listed, await ListedAsync(me));
        var last = channels[^1];
        await Rest.AssertProblemAsync(await me.Http.PostAsync($"/voice-channels/{last.Id}/invite/accept", null), HttpStatusCode.Conflict, ErrorCodes.LimitReached);
        await Rest.AssertProblemAsync(await CreateAsync(me), HttpStatusCode.Conflict, ErrorCodes.LimitReached);

        await Rest.AssertStatusAsync(await me.SendAsync("DELETE", $"/voice-channels/{channels[0].Id}/members/{me.UserId}"), HttpStatusCode.NoContent);
        await Eventually.GetAsync(() => ListedAsync(me), n => n == Listed - 1, "the channel left to leave the list");
        await me.AcceptChannelInviteAsync(last.Id);
        foreach (var host in hosts)
        {
            await host.DisposeAsync();
        }
    }

    [Fact]
    public async Task A_user_has_at_most_the_limit_of_invites_waiting_and_one_more_is_refused_as_cannot_add_user_until_they_answer_one()
    {
        await using var target = NewUser("popular");
        var hosts = Enumerable.Range(0, InvitesPending + 1).Select(i => NewUser($"inviter{i}")).ToArray();
        var waiting = new List<VoiceChannel>();
        for (var i = 0; i < InvitesPending; i++)
        {
            waiting.Add(await CreatedAsync(hosts[i], target.UserId));
        }

        var late = hosts[^1];
        await Rest.AssertProblemAsync(await CreateAsync(late, target.UserId), HttpStatusCode.Forbidden, ErrorCodes.CannotAddUser);
        var own = await CreatedAsync(late);
        await Rest.AssertProblemAsync(await late.SendAsync("PUT", $"/voice-channels/{own.Id}/members/{target.UserId}"), HttpStatusCode.Forbidden, ErrorCodes.CannotAddUser);
        Assert.Equal(waiting.Select(c => c.Id), (await target.Http.GetFromJsonAsync<ChannelInviteList>("/me/voice-channel-invites", VoiceUser.Json))!.Invites.Select(i => i.ChannelId));

        await Rest.AssertStatusAsync(await target.Http.PostAsync($"/voice-channels/{waiting[0].Id}/invite/decline", null), HttpStatusCode.NoContent);
        await Eventually.GetAsync(
            async () => await late.SendAsync("PUT", $"/voice-channels/{own.Id}/members/{target.UserId}"),
            r => r.StatusCode == HttpStatusCode.OK,
            "a declined invite to free its place");
        foreach (var host in hosts)
        {
            await host.DisposeAsync();
        }
    }
}
