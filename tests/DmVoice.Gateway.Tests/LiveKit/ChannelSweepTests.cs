using System.Net.Http.Json;
using DmVoice.LiveKit;
using DmVoice.TestSupport.LiveKit;

namespace DmVoice.Gateway.Tests.LiveKit;

/// <summary>The ListParticipants sweep of a channel's live voice (room <c>ch_&lt;id&gt;</c>), on real time as for DM calls.</summary>
public sealed class ChannelSweepTests(FastSweepLiveKitGatewayFixture fixture) : IClassFixture<FastSweepLiveKitGatewayFixture>
{
    private GatewayServer Server => fixture.Server;

    private FakeLiveKitServer LiveKit => fixture.LiveKit;

    [Fact]
    public async Task A_channel_participant_missing_from_the_room_is_removed_and_a_member_only_in_the_room_is_joined()
    {
        await using var a = await VoiceUser.CreateAsync(Server, "alice");
        await using var b = await VoiceUser.CreateAsync(Server, "bob");
        await using var c = await VoiceUser.CreateAsync(Server, "carol");
        var channel = await a.CreateChannelAsync("Lobby", b, c);
        var room = LiveKitRooms.ForChannel(channel.Id);
        var aPhone = await a.ConnectAsync();
        LiveKit.AddParticipant(room, a.UserId);
        await VoiceUser.EnsureSuccessAsync(await a.Http.PostAsJsonAsync($"/voice-channels/{channel.Id}/voice-presence/join", new { }));

        // Carol joins over REST but never connects media; Bob is only in the LiveKit room.
        await VoiceUser.EnsureSuccessAsync(await c.Http.PostAsJsonAsync($"/voice-channels/{channel.Id}/voice-presence/join", new { }));
        LiveKit.AddParticipant(room, b.UserId, "Bob (media only)");

        var left = await aPhone.WaitForAsync(VoiceEventNames.ChannelUserLeft, e => e.Str("userId") == c.UserId);
        Assert.Equal(LeaveReasons.Disconnected, left.Str("reason"));
        await aPhone.WaitForAsync(VoiceEventNames.ChannelUserJoined, e => e.GetProperty("user").Str("userId") == b.UserId);
        await LiveKit.WaitForCallAsync("ListParticipants", x => x.Room == room && x.StatusCode == 200);
        var presence = await a.Http.GetFromJsonAsync<ChannelPresence>($"/voice-channels/{channel.Id}/voice-presence", VoiceUser.Json);
        Assert.Equal(new[] { a.UserId, b.UserId }.Order(), presence!.Participants.Select(p => p.UserId).Order());
    }
}
