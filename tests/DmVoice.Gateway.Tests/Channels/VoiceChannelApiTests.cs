using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using DmVoice.Gateway.Contracts;
using DmVoice.Gateway.Tests.Api;

namespace DmVoice.Gateway.Tests.Channels;

/// <summary>Voice channels over real HTTP and real SignalR clients: the REST API, its problems, and the hub events.</summary>
public sealed class VoiceChannelApiTests(GatewayFixture fixture) : IClassFixture<GatewayFixture>
{
    /// <summary>Creates the channel; the users named in it who are given here accept their invites.</summary>
    private static async Task<VoiceChannel> CreateAsync(VoiceUser owner, object body, params VoiceUser[] accepting)
    {
        var response = await owner.Http.PostAsJsonAsync("/voice-channels", body);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var channel = (await response.Content.ReadFromJsonAsync<VoiceChannel>(VoiceUser.Json))!;
        Assert.Equal($"/voice-channels/{channel.Id}", response.Headers.Location?.OriginalString);
        foreach (var user in accepting)
        {
            channel = await user.AcceptChannelInviteAsync(channel.Id);
        }

        return channel;
    }

    private static async Task<ChannelJoinResult> JoinAsync(VoiceUser user, string channelId, object? body = null)
    {
        var response = await user.Http.PostAsJsonAsync($"/voice-channels/{channelId}/voice-presence/join", body ?? new { });
        await VoiceUser.EnsureSuccessAsync(response);
        return (await response.Content.ReadFromJsonAsync<ChannelJoinResult>(VoiceUser.Json))!;
    }

    private static async Task<ChannelPresence> PresenceAsync(VoiceUser user, string channelId) =>
        (await user.Http.GetFromJsonAsync<ChannelPresence>($"/voice-channels/{channelId}/voice-presence", VoiceUser.Json))!;

    [Fact]
    public async Task The_owner_creates_a_channel_renames_it_manages_its_members_and_deletes_it()
    {
        await using var owner = fixture.NewUser("owner");
        await using var member = fixture.NewUser("member");
        await using var newcomer = fixture.NewUser("newcomer");

        var channel = await CreateAsync(owner, new { name = "Lobby", memberIds = new[] { member.UserId }, userLimit = 5 }, member);
        Assert.Equal("Lobby", channel.Name);
        Assert.Equal(owner.UserId, channel.OwnerId);
        Assert.Equal([owner.UserId, member.UserId], channel.MemberIds);
        Assert.Equal(5, channel.UserLimit);

        var seen = (await member.Http.GetFromJsonAsync<VoiceChannel>($"/voice-channels/{channel.Id}", VoiceUser.Json))!;
        Assert.Equal((channel.Name, channel.OwnerId, channel.UserLimit, channel.CreatedAt), (seen.Name, seen.OwnerId, seen.UserLimit, seen.CreatedAt));
        Assert.Equal(channel.MemberIds, seen.MemberIds);
        var mine = await member.Http.GetFromJsonAsync<VoiceChannelPage>("/voice-channels", VoiceUser.Json);
        Assert.Contains(mine!.VoiceChannels, c => c.Id == channel.Id);

        var patched = await owner.Http.PatchAsJsonAsync($"/voice-channels/{channel.Id}", new { name = "Hangout", userLimit = 0 });
        Assert.Equal(HttpStatusCode.OK, patched.StatusCode);
        var renamed = (await patched.Content.ReadFromJsonAsync<VoiceChannel>(VoiceUser.Json))!;
        Assert.Equal(("Hangout", 0), (renamed.Name, renamed.UserLimit));

        // Adding someone invites them: access comes with their acceptance.
        var added = await owner.Http.PutAsync($"/voice-channels/{channel.Id}/members/{newcomer.UserId}", null);
        Assert.Equal(HttpStatusCode.OK, added.StatusCode);
        Assert.Equal([newcomer.UserId], (await added.Content.ReadFromJsonAsync<VoiceChannel>(VoiceUser.Json))!.InvitedIds);
        await Rest.AssertProblemAsync(await newcomer.Http.GetAsync($"/voice-channels/{channel.Id}"), HttpStatusCode.NotFound, ErrorCodes.ChannelNotFound);
        Assert.Contains(newcomer.UserId, (await newcomer.AcceptChannelInviteAsync(channel.Id)).MemberIds);
        Assert.Equal(HttpStatusCode.OK, (await newcomer.Http.GetAsync($"/voice-channels/{channel.Id}")).StatusCode);

        var removed = await owner.Http.DeleteAsync($"/voice-channels/{channel.Id}/members/{newcomer.UserId}");
        Assert.Equal(HttpStatusCode.OK, removed.StatusCode);
        await Rest.AssertProblemAsync(await newcomer.Http.GetAsync($"/voice-channels/{channel.Id}"), HttpStatusCode.NotFound, ErrorCodes.ChannelNotFound);

        // A member may give up their own access: nothing left to show them.
        Assert.Equal(HttpStatusCode.NoContent, (await member.Http.DeleteAsync($"/voice-channels/{channel.Id}/members/{member.UserId}")).StatusCode);
        Assert.DoesNotContain((await member.Http.GetFromJsonAsync<VoiceChannelPage>("/voice-channels", VoiceUser.Json))!.VoiceChannels, c => c.Id == channel.Id);

        Assert.Equal(HttpStatusCode.NoContent, (await owner.Http.DeleteAsync($"/voice-channels/{channel.Id}")).StatusCode);
        await Rest.AssertProblemAsync(await owner.Http.GetAsync($"/voice-channels/{channel.Id}"), HttpStatusCode.NotFound, ErrorCodes.ChannelNotFound);
    }

    [Fact]
    public async Task My_channels_come_in_pages_with_an_opaque_cursor()
    {
        await using var owner = fixture.NewUser("pager");
        var ids = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            ids.Add((await CreateAsync(owner, new { name = $"Room {i}" })).Id);
        }

        var first = (await owner.Http.GetFromJsonAsync<VoiceChannelPage>("/voice-channels?limit=2", VoiceUser.Json))!;
        var second = (await owner.Http.GetFromJsonAsync<VoiceChannelPage>($"/voice-channels?limit=2&cursor={Uri.EscapeDataString(first.NextCursor!)}", VoiceUser.Json))!;

        Assert.Equal(ids.Order(StringComparer.Ordinal), first.VoiceChannels.Concat(second.VoiceChannels).Select(c => c.Id));
        Assert.Null(second.NextCursor);
        await Rest.AssertProblemAsync(await owner.Http.GetAsync("/voice-channels?cursor=not-ours"), HttpStatusCode.BadRequest, ErrorCodes.MalformedRequest);
    }

    [Fact]
    public async Task Bad_channel_requests_are_problems_with_stable_codes()
    {
        await using var owner = fixture.NewUser("owner");
        await using var member = fixture.NewUser("member");
        await using var stranger = fixture.NewUser("stranger");
        var channel = await CreateAsync(owner, new { name = "Lobby", memberIds = new[] { member.UserId } }, member);

        await Rest.AssertProblemAsync(await owner.Http.PostAsJsonAsync("/voice-channels", new { name = "" }), HttpStatusCode.UnprocessableEntity, ErrorCodes.ValidationFailed);
        await Rest.AssertProblemAsync(await owner.Http.PostAsJsonAsync("/voice-channels", new { name = "x", userLimit = 100 }), HttpStatusCode.UnprocessableEntity, ErrorCodes.ValidationFailed);
        await Rest.AssertProblemAsync(await owner.Http.PostAsJsonAsync("/voice-channels", new { name = "x", memberIds = new[] { "not an id!" } }), HttpStatusCode.UnprocessableEntity, ErrorCodes.ValidationFailed);
        await Rest.AssertProblemAsync(await owner.Http.PatchAsJsonAsync($"/voice-channels/{channel.Id}", new { userLimit = -1 }), HttpStatusCode.UnprocessableEntity, ErrorCodes.ValidationFailed);
        await Rest.AssertProblemAsync(await owner.Http.PostAsJsonAsync($"/voice-channels/{channel.Id}/voice-presence/join", new { deviceKind = "toaster" }), HttpStatusCode.UnprocessableEntity, ErrorCodes.ValidationFailed);

        // Only the owner manages the channel.
        await Rest.AssertProblemAsync(await member.Http.PatchAsJsonAsync($"/voice-channels/{channel.Id}", new { name = "Mine" }), HttpStatusCode.Forbidden, ErrorCodes.Forbidden);
        await Rest.AssertProblemAsync(await member.Http.PutAsync($"/voice-channels/{channel.Id}/members/{stranger.UserId}", null), HttpStatusCode.Forbidden, ErrorCodes.Forbidden);
        await Rest.AssertProblemAsync(await member.Http.DeleteAsync($"/voice-channels/{channel.Id}"), HttpStatusCode.Forbidden, ErrorCodes.Forbidden);

        // Without access, the channel looks missing on every route.
        foreach (var (method, path) in new[]
        {
            ("GET", $"/voice-channels/{channel.Id}"),
            ("GET", $"/voice-channels/{channel.Id}/voice-presence"),
            ("POST", $"/voice-channels/{channel.Id}/voice-presence/join"),
            ("DELETE", $"/voice-channels/{channel.Id}/voice-presence/leave"),
        })
        {
            await Rest.AssertProblemAsync(await stranger.SendAsync(method, path, method == "POST" ? "{}" : null), HttpStatusCode.NotFound, ErrorCodes.ChannelNotFound);
        }

        await Rest.AssertProblemAsync(await stranger.Http.PutAsJsonAsync($"/voice-channels/{channel.Id}/voice-presence/state", new { isMuted = true }), HttpStatusCode.NotFound, ErrorCodes.ChannelNotFound);
        await Rest.AssertProblemAsync(await owner.Http.GetAsync("/voice-channels/vc-00000000000000000000000000000000"), HttpStatusCode.NotFound, ErrorCodes.ChannelNotFound);
        await Rest.AssertProblemAsync(await owner.Http.DeleteAsync($"/voice-channels/{channel.Id}/members/{stranger.UserId}"), HttpStatusCode.NotFound, ErrorCodes.MemberNotFound);

        // Presence rules as for DMs.
        await Rest.AssertProblemAsync(await member.Http.DeleteAsync($"/voice-channels/{channel.Id}/voice-presence/leave"), HttpStatusCode.Conflict, ErrorCodes.NotInCall);
        await Rest.AssertProblemAsync(await member.Http.PutAsJsonAsync($"/voice-channels/{channel.Id}/voice-presence/state", new { }), HttpStatusCode.UnprocessableEntity, ErrorCodes.ValidationFailed);
    }

    [Fact]
    public async Task A_full_channel_answers_409_channel_full()
    {
        await using var owner = fixture.NewUser("owner");
        await using var member = fixture.NewUser("member");
        var channel = await CreateAsync(owner, new { name = "Duo", memberIds = new[] { member.UserId }, userLimit = 1 }, member);
        await JoinAsync(owner, channel.Id);

        var full = await member.Http.PostAsJsonAsync($"/voice-channels/{channel.Id}/voice-presence/join", new { });

        await Rest.AssertProblemAsync(full, HttpStatusCode.Conflict, ErrorCodes.ChannelFull);
        Assert.Equal([owner.UserId], (await PresenceAsync(owner, channel.Id)).Participants.Select(p => p.UserId));
    }

    [Fact]
    public async Task Every_member_hears_joins_updates_and_leaves_on_the_hub()
    {
        await using var owner = fixture.NewUser("owner");
        await using var member = fixture.NewUser("member");
        await using var watcher = fixture.NewUser("watcher");
        await using var stranger = fixture.NewUser("stranger");
        var channel = await CreateAsync(owner, new { name = "Lobby", memberIds = new[] { member.UserId, watcher.UserId } }, member, watcher);
        var watcherPhone = await watcher.ConnectAsync();
        var strangerPhone = await stranger.ConnectAsync();

        var joined = await JoinAsync(member, channel.Id, new { isMuted = true });
        var joinedEvent = await watcherPhone.WaitForAsync(VoiceEventNames.ChannelUserJoined, e => e.GetProperty("user").Str("userId") == member.UserId);
        Assert.Equal(channel.Id, joinedEvent.Str("channelId"));
        Assert.Equal(joined.CallId, joinedEvent.Str("callId"));
        Assert.Equal(joined.Version, joinedEvent.GetProperty("version").GetInt64());
        Assert.True(joinedEvent.GetProperty("user").GetProperty("isMuted").GetBoolean());

        var state = await member.Http.PutAsJsonAsync($"/voice-channels/{channel.Id}/voice-presence/state", new { isMuted = false, isVideoEnabled = true });
        Assert.Equal(HttpStatusCode.OK, state.StatusCode);
        var updated = await watcherPhone.WaitForAsync(VoiceEventNames.ChannelUserUpdated);
        Assert.True(updated.GetProperty("user").GetProperty("isVideoEnabled").GetBoolean());
        Assert.Equal(joined.Version + 1, updated.GetProperty("version").GetInt64());

        Assert.Equal(HttpStatusCode.NoContent, (await member.Http.DeleteAsync($"/voice-channels/{channel.Id}/voice-presence/leave")).StatusCode);
        var left = await watcherPhone.WaitForAsync(VoiceEventNames.ChannelUserLeft);
        Assert.Equal(LeaveReasons.Left, left.Str("reason"));
        Assert.Equal(joined.Version + 2, left.GetProperty("version").GetInt64());

        // Nobody outside the channel hears of it, and no DM event is sent for a channel. The proof is a later
        // event of the same room: once the stranger is a member they hear the next join, and a room's events
        // reach each device in order, so anything sent to them before it would have come first.
        await AdmitAsync(owner, stranger, channel.Id);
        var rejoined = await JoinAsync(member, channel.Id);
        await strangerPhone.WaitForAsync(VoiceEventNames.ChannelUserJoined, e => e.GetProperty("version").GetInt64() == rejoined.Version);
        await watcherPhone.WaitForAsync(VoiceEventNames.ChannelUserJoined, e => e.GetProperty("version").GetInt64() == rejoined.Version);
        Assert.Equal([rejoined.Version], strangerPhone.Events.Where(IsVoiceEvent).Select(e => e.Payload.GetProperty("version").GetInt64()));
        Assert.DoesNotContain(watcherPhone.Events, e => e.Name.StartsWith("dmVoice", StringComparison.Ordinal));
    }

    private static bool IsVoiceEvent((string Name, JsonElement Payload) e) => e.Name is VoiceEventNames.ChannelUserJoined or VoiceEventNames.ChannelUserUpdated or VoiceEventNames.ChannelUserLeft;

    /// <summary>The owner invites the user, who accepts: a member from then on.</summary>
    private static async Task AdmitAsync(VoiceUser owner, VoiceUser user, string channelId)
    {
        Assert.Equal(HttpStatusCode.OK, (await owner.Http.PutAsync($"/voice-channels/{channelId}/members/{user.UserId}", null)).StatusCode);
        await user.AcceptChannelInviteAsync(channelId);
    }

    [Fact]
    public async Task Joining_a_channel_from_a_dm_call_leaves_it_as_moved_and_me_voice_and_sync_say_channel()
    {
        await using var alice = fixture.NewUser("alice");
        await using var bob = fixture.NewUser("bob");
        var dm = await alice.CreateDmAsync(bob);
        var channel = await CreateAsync(alice, new { name = "Lobby", memberIds = new[] { bob.UserId } }, bob);
        var bobPhone = await bob.ConnectAsync();
        await alice.JoinAsync(dm.Id);
        await bob.JoinAsync(dm.Id);

        var joined = await JoinAsync(alice, channel.Id);

        var left = await bobPhone.WaitForAsync(VoiceEventNames.UserLeft, e => e.Str("userId") == alice.UserId);
        Assert.Equal(LeaveReasons.Moved, left.Str("reason"));
        await bobPhone.WaitForAsync(VoiceEventNames.ChannelUserJoined, e => e.GetProperty("user").Str("userId") == alice.UserId);

        var mine = (await alice.Http.GetFromJsonAsync<MyVoiceOverview>("/me/voice", VoiceUser.Json))!;
        Assert.Equal(new ActiveCall(CallKinds.Channel, channel.Id, null, null), mine.ActiveCall);
        var live = Assert.Single(mine.LiveChannels, c => c.ChannelId == channel.Id);
        Assert.Equal(joined.CallId, live.CallId);
        Assert.Equal([alice.UserId], live.Participants.Select(p => p.UserId));
        Assert.NotNull(live.Statuses);

        // Bob sees the live channel (he may enter it) and the DM call he is in, on sync.
        var bobLaptop = await bob.ConnectAsync();
        Assert.Equal(CallKinds.Dm, bobLaptop.Synced!.ActiveCall!.Kind);
        Assert.Contains(bobLaptop.Synced.LiveChannels, c => c.ChannelId == channel.Id);
        Assert.Contains(bobLaptop.Synced.LiveCalls, c => c.DmGroupId == dm.Id);

        // And back: joining the DM call leaves the channel as moved.
        await alice.JoinAsync(dm.Id);
        var leftChannel = await bobPhone.WaitForAsync(VoiceEventNames.ChannelUserLeft, e => e.Str("userId") == alice.UserId);
        Assert.Equal(LeaveReasons.Moved, leftChannel.Str("reason"));
        Assert.Equal(CallKinds.Dm, (await alice.Http.GetFromJsonAsync<MyVoiceOverview>("/me/voice", VoiceUser.Json))!.ActiveCall!.Kind);
    }

    [Fact]
    public async Task A_member_taken_off_the_list_leaves_the_voice_as_removed_and_stops_hearing_the_channel()
    {
        await using var owner = fixture.NewUser("owner");
        await using var member = fixture.NewUser("member");
        var channel = await CreateAsync(owner, new { name = "Lobby", memberIds = new[] { member.UserId } }, member);
        var ownerPhone = await owner.ConnectAsync();
        var memberPhone = await member.ConnectAsync();
        await JoinAsync(owner, channel.Id);
        await JoinAsync(member, channel.Id);

        Assert.Equal(HttpStatusCode.OK, (await owner.Http.DeleteAsync($"/voice-channels/{channel.Id}/members/{member.UserId}")).StatusCode);

        var left = await ownerPhone.WaitForAsync(VoiceEventNames.ChannelUserLeft, e => e.Str("userId") == member.UserId);
        Assert.Equal(LeaveReasons.Removed, left.Str("reason"));
        await memberPhone.WaitForAsync(VoiceEventNames.ChannelUserLeft, e => e.Str("userId") == member.UserId && e.Str("reason") == LeaveReasons.Removed);
        await Eventually.GetAsync(
            async () => (await member.Http.GetFromJsonAsync<MyVoiceOverview>("/me/voice", VoiceUser.Json))!,
            overview => overview is { ActiveCall: null, LiveChannels.Count: 0 },
            "the member's overview to forget the channel");
        await Rest.AssertProblemAsync(await member.Http.PostAsJsonAsync($"/voice-channels/{channel.Id}/voice-presence/join", new { }), HttpStatusCode.NotFound, ErrorCodes.ChannelNotFound);

        // What the owner's channel does next is no longer the former member's business. The proof is a later
        // event of the same room: re-admitted, they hear the owner's next change, and would have heard this one first.
        await owner.Http.PutAsJsonAsync($"/voice-channels/{channel.Id}/voice-presence/state", new { isMuted = true });
        var muted = await ownerPhone.WaitForAsync(VoiceEventNames.ChannelUserUpdated, e => e.GetProperty("user").GetProperty("isMuted").GetBoolean());
        await AdmitAsync(owner, member, channel.Id);
        await owner.Http.PutAsJsonAsync($"/voice-channels/{channel.Id}/voice-presence/state", new { isMuted = false });
        var unmuted = await ownerPhone.WaitForAsync(VoiceEventNames.ChannelUserUpdated, e => !e.GetProperty("user").GetProperty("isMuted").GetBoolean());
        await memberPhone.WaitForAsync(VoiceEventNames.ChannelUserUpdated, e => e.GetProperty("version").GetInt64() == unmuted.GetProperty("version").GetInt64());
        Assert.DoesNotContain(memberPhone.Events, e => e.Name == VoiceEventNames.ChannelUserUpdated && e.Payload.GetProperty("version").GetInt64() == muted.GetProperty("version").GetInt64());
    }
}
