using System.Net;
using System.Net.Http.Json;
using DmVoice.LiveKit;
using DmVoice.TestSupport.LiveKit;

namespace DmVoice.Gateway.Tests.LiveKit;

/// <summary>
/// LiveKit for voice channels (room <c>ch_&lt;id&gt;</c>) as for DM calls, and LiveKit's view of a seat that
/// moves to another device, with webhooks signed by the fake LiveKit in the order a real SFU sends them.
/// </summary>
public sealed class ChannelLiveKitTests(LiveKitGatewayFixture fixture) : IClassFixture<LiveKitGatewayFixture>
{
    private GatewayServer Server => fixture.Server;

    private FakeLiveKitServer LiveKit => fixture.LiveKit;

    private static Task<VoiceChannel> CreateChannelAsync(VoiceUser owner, params VoiceUser[] members) =>
        owner.CreateChannelAsync("Lobby", members);

    private static async Task JoinChannelAsync(VoiceUser user, string channelId, object? body = null) =>
        await VoiceUser.EnsureSuccessAsync(await user.Http.PostAsJsonAsync($"/voice-channels/{channelId}/voice-presence/join", body ?? new { }));

    private static async Task<bool> InChannelAsync(VoiceUser viewer, string channelId, VoiceUser user) =>
        (await viewer.Http.GetFromJsonAsync<ChannelPresence>($"/voice-channels/{channelId}/voice-presence", VoiceUser.Json))!
            .Participants.Any(p => p.UserId == user.UserId);

    [Fact]
    public async Task A_channel_token_is_for_members_only_and_joins_room_ch_id()
    {
        await using var a = await VoiceUser.CreateAsync(Server, "alice");
        await using var b = await VoiceUser.CreateAsync(Server, "bob");
        await using var stranger = await VoiceUser.CreateAsync(Server, "stranger");
        var channel = await CreateChannelAsync(a, b);

        var response = await b.Http.PostAsJsonAsync("/livekit/channel-token", new { roomId = channel.Id });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var token = (await response.Content.ReadFromJsonAsync<System.Text.Json.JsonElement>())!;
        Assert.Equal("ch_" + channel.Id, token.Str("roomName"));
        Assert.Equal(LiveKitRooms.ForChannel(channel.Id), token.Str("roomName"));
        Assert.Equal(b.UserId, token.Str("identity"));

        await LiveKitHttp.AssertProblemAsync(
            await stranger.Http.PostAsJsonAsync("/livekit/channel-token", new { roomId = channel.Id }), HttpStatusCode.NotFound, ErrorCodes.ChannelNotFound);
        await LiveKitHttp.AssertProblemAsync(
            await b.Http.PostAsJsonAsync("/livekit/channel-token", new { roomId = channel.Id, identity = a.UserId }), HttpStatusCode.Forbidden, ErrorCodes.Forbidden);

        // A DM token is no channel token, and the other way round.
        await LiveKitHttp.AssertProblemAsync(
            await b.Http.PostAsJsonAsync("/livekit/dm-token", new { roomId = channel.Id }), HttpStatusCode.NotFound, ErrorCodes.DmNotFound);
    }

    [Fact]
    public async Task A_full_channel_gives_no_media_token_to_one_more_but_still_to_whoever_holds_a_seat()
    {
        await using var a = await VoiceUser.CreateAsync(Server, "alice");
        await using var b = await VoiceUser.CreateAsync(Server, "bob");
        var channel = await CreateChannelAsync(a, b);
        await VoiceUser.EnsureSuccessAsync(await a.Http.PatchAsJsonAsync($"/voice-channels/{channel.Id}", new { userLimit = 1 }));
        await JoinChannelAsync(a, channel.Id);

        await LiveKitHttp.AssertProblemAsync(
            await b.Http.PostAsJsonAsync("/livekit/channel-token", new { roomId = channel.Id }), HttpStatusCode.Conflict, ErrorCodes.ChannelFull);
        Assert.Equal(HttpStatusCode.OK, (await a.Http.PostAsJsonAsync("/livekit/channel-token", new { roomId = channel.Id })).StatusCode);

        // A seat frees up: the token is given again.
        Assert.Equal(HttpStatusCode.NoContent, (await a.Http.DeleteAsync($"/voice-channels/{channel.Id}/voice-presence/leave")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await b.Http.PostAsJsonAsync("/livekit/channel-token", new { roomId = channel.Id })).StatusCode);
    }

    [Fact]
    public async Task Webhooks_for_a_channel_room_join_a_member_and_a_left_takes_them_out_as_disconnected()
    {
        await using var a = await VoiceUser.CreateAsync(Server, "alice");
        await using var b = await VoiceUser.CreateAsync(Server, "bob");
        var channel = await CreateChannelAsync(a, b);
        var room = LiveKitRooms.ForChannel(channel.Id);
        var aPhone = await a.ConnectAsync();
        await JoinChannelAsync(a, channel.Id);

        LiveKit.AddParticipant(room, b.UserId);
        Assert.Equal("applied", await Server.DeliverAsync(LiveKit.CreateWebhook(WebhookEventNames.ParticipantJoined, room, b.UserId)));
        await aPhone.WaitForAsync(VoiceEventNames.ChannelUserJoined, e => e.GetProperty("user").Str("userId") == b.UserId);

        Assert.Equal("applied", await Server.DeliverAsync(LiveKit.CreateWebhook(WebhookEventNames.ParticipantLeft, room, b.UserId, "CLIENT_INITIATED")));
        var left = await aPhone.WaitForAsync(VoiceEventNames.ChannelUserLeft, e => e.Str("userId") == b.UserId);
        Assert.Equal(LeaveReasons.Disconnected, left.Str("reason"));
        Assert.False(await InChannelAsync(a, channel.Id, b));
    }

    [Fact]
    public async Task Losing_access_removes_the_media_and_deleting_the_channel_deletes_its_room()
    {
        await using var a = await VoiceUser.CreateAsync(Server, "alice");
        await using var b = await VoiceUser.CreateAsync(Server, "bob");
        var channel = await CreateChannelAsync(a, b);
        var room = LiveKitRooms.ForChannel(channel.Id);
        await JoinChannelAsync(a, channel.Id);
        await JoinChannelAsync(b, channel.Id);
        LiveKit.AddParticipant(room, b.UserId);

        await VoiceUser.EnsureSuccessAsync(await a.Http.DeleteAsync($"/voice-channels/{channel.Id}/members/{b.UserId}"));

        var removal = await LiveKit.WaitForCallAsync("RemoveParticipant", c => c.Room == room && c.Identity == b.UserId);
        Assert.True(removal.StatusCode == 200 && removal.GrantedRoom == room, $"{removal.StatusCode} {removal.GrantedRoom} {removal.Body}");

        await VoiceUser.EnsureSuccessAsync(await a.Http.DeleteAsync($"/voice-channels/{channel.Id}"));
        var deletion = await LiveKit.WaitForCallAsync("DeleteRoom", c => c.Room == room);
        Assert.Equal(200, deletion.StatusCode);
        Assert.False(LiveKit.Rooms.ContainsKey(room));
    }

    [Fact]
    public async Task Room_finished_ends_the_channel_voice()
    {
        await using var a = await VoiceUser.CreateAsync(Server, "alice");
        await using var b = await VoiceUser.CreateAsync(Server, "bob");
        var channel = await CreateChannelAsync(a, b);
        var room = LiveKitRooms.ForChannel(channel.Id);
        var bPhone = await b.ConnectAsync();
        await JoinChannelAsync(a, channel.Id);

        Assert.Equal("applied", await Server.DeliverAsync(LiveKit.CreateWebhook(WebhookEventNames.RoomFinished, room)));

        var left = await bPhone.WaitForAsync(VoiceEventNames.ChannelUserLeft, e => e.Str("userId") == a.UserId);
        Assert.Equal(LeaveReasons.CallEnded, left.Str("reason"));
        var presence = await b.Http.GetFromJsonAsync<ChannelPresence>($"/voice-channels/{channel.Id}/voice-presence", VoiceUser.Json);
        Assert.Null(presence!.CallId);
    }

    /// <summary>
    /// A real SFU, when the phone connects with the identity the desktop holds: the desktop is put out
    /// (participant_left, DUPLICATE_IDENTITY), then the phone joins (participant_joined).
    /// </summary>
    [Theory]
    [InlineData(CallKinds.Dm)]
    [InlineData(CallKinds.Channel)]
    public async Task A_seat_move_in_sfu_order_keeps_the_user_in_and_the_others_see_no_leave(string kind)
    {
        await using var a = await VoiceUser.CreateAsync(Server, "alice");
        await using var b = await VoiceUser.CreateAsync(Server, "bob");
        var (presence, room, left) = await RoomAsync(kind, a, b);
        var bPhone = await b.ConnectAsync();
        await a.ConnectAsync(deviceId: "alice-desktop");
        await a.ConnectAsync(deviceId: "alice-phone");
        await VoiceUser.EnsureSuccessAsync(await b.Http.PostAsJsonAsync($"{presence}/join", new { }));
        await VoiceUser.EnsureSuccessAsync(await a.Http.PostAsJsonAsync($"{presence}/join", new { deviceId = "alice-desktop" }));
        var desktopJoinedAt = DateTimeOffset.UtcNow;
        LiveKit.AddParticipant(room, a.UserId, "alice");
        Assert.Equal("ignored", await Server.DeliverAsync(LiveKit.CreateWebhook(WebhookEventNames.ParticipantJoined, room, a.UserId, joinedAt: desktopJoinedAt)));

        // The phone takes the seat, then connects its media: LiveKit puts the desktop out and lets the phone in.
        await VoiceUser.EnsureSuccessAsync(await a.Http.PostAsJsonAsync($"{presence}/join", new { deviceId = "alice-phone" }));
        Assert.Equal("ignored", await Server.DeliverAsync(LiveKit.CreateWebhook(
            WebhookEventNames.ParticipantLeft, room, a.UserId, "DUPLICATE_IDENTITY", joinedAt: desktopJoinedAt)));
        Assert.Equal("ignored", await Server.DeliverAsync(LiveKit.CreateWebhook(
            WebhookEventNames.ParticipantJoined, room, a.UserId, joinedAt: DateTimeOffset.UtcNow)));

        Assert.True(await InRoomAsync(b, presence, a));
        Assert.Equal(0, bPhone.Count(left, e => e.Str("userId") == a.UserId));

        // Later the phone really hangs up: that is a leave.
        Assert.Equal("applied", await Server.DeliverAsync(LiveKit.CreateWebhook(WebhookEventNames.ParticipantLeft, room, a.UserId, "CLIENT_INITIATED")));
        var gone = await bPhone.WaitForAsync(left, e => e.Str("userId") == a.UserId);
        Assert.Equal(LeaveReasons.Disconnected, gone.Str("reason"));

        // Events reach a device in order: a leave taken from the seat move would have come before this one.
        Assert.Equal(1, bPhone.Count(left, e => e.Str("userId") == a.UserId));
    }

    /// <summary>
    /// The desktop, told that its session moved, hangs up its media itself before the phone's media is in
    /// (participant_left, CLIENT_INITIATED, about a session that began moments ago): not a leave either.
    /// </summary>
    [Theory]
    [InlineData(CallKinds.Dm)]
    [InlineData(CallKinds.Channel)]
    public async Task The_old_device_hanging_up_its_media_after_a_seat_move_is_not_a_leave(string kind)
    {
        await using var a = await VoiceUser.CreateAsync(Server, "alice");
        await using var b = await VoiceUser.CreateAsync(Server, "bob");
        var (presence, room, left) = await RoomAsync(kind, a, b);
        var bPhone = await b.ConnectAsync();
        await a.ConnectAsync(deviceId: "alice-desktop");
        await a.ConnectAsync(deviceId: "alice-phone");
        await VoiceUser.EnsureSuccessAsync(await b.Http.PostAsJsonAsync($"{presence}/join", new { }));
        await VoiceUser.EnsureSuccessAsync(await a.Http.PostAsJsonAsync($"{presence}/join", new { deviceId = "alice-desktop" }));
        var desktopJoinedAt = DateTimeOffset.UtcNow;
        LiveKit.AddParticipant(room, a.UserId, "alice");

        await VoiceUser.EnsureSuccessAsync(await a.Http.PostAsJsonAsync($"{presence}/join", new { deviceId = "alice-phone" }));
        Assert.Equal("ignored", await Server.DeliverAsync(LiveKit.CreateWebhook(
            WebhookEventNames.ParticipantLeft, room, a.UserId, "CLIENT_INITIATED", joinedAt: desktopJoinedAt)));

        Assert.True(await InRoomAsync(b, presence, a));
        Assert.Equal(0, bPhone.Count(left, e => e.Str("userId") == a.UserId));
    }

    private async Task<(string Presence, string Room, string LeftEvent)> RoomAsync(string kind, VoiceUser a, VoiceUser b)
    {
        if (kind == CallKinds.Dm)
        {
            var dm = await a.CreateDmAsync(b);
            return ($"/dm-groups/{dm.Id}/voice-presence", LiveKitRooms.ForDm(dm.Id), VoiceEventNames.UserLeft);
        }

        var channel = await CreateChannelAsync(a, b);
        return ($"/voice-channels/{channel.Id}/voice-presence", LiveKitRooms.ForChannel(channel.Id), VoiceEventNames.ChannelUserLeft);
    }

    private static async Task<bool> InRoomAsync(VoiceUser viewer, string presence, VoiceUser user) =>
        (await viewer.Http.GetFromJsonAsync<System.Text.Json.JsonElement>(presence, VoiceUser.Json))
            .GetProperty("participants").EnumerateArray().Any(p => p.Str("userId") == user.UserId);
}
