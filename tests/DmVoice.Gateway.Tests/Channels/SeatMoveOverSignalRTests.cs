using System.Net;
using System.Net.Http.Json;
using DmVoice.Gateway.Tests.Api;

namespace DmVoice.Gateway.Tests.Channels;

/// <summary>
/// One device in the call, over real HTTP and two real SignalR connections of one user (a desktop and a
/// phone, each connected with its <c>?deviceId=</c>), in a DM's call and in a voice channel.
/// </summary>
public sealed class SeatMoveOverSignalRTests : IAsyncLifetime
{
    private GatewayServer _server = null!;

    public async ValueTask InitializeAsync() => _server = await GatewayServer.StartAsync(s => s["Gateway:RequestsPerMinute"] = "1000000");

    public async ValueTask DisposeAsync() => await _server.DisposeAsync();

    /// <summary>A room of either kind for Alice and Bob, with its paths and event names.</summary>
    private sealed record Room(string Kind, string Id, string Presence, string Updated, string Left, string Moved);

    private async Task<Room> CreateRoomAsync(string kind, VoiceUser alice, VoiceUser bob)
    {
        if (kind == CallKinds.Dm)
        {
            var dm = await alice.CreateDmAsync(bob);
            return new Room(kind, dm.Id, $"/dm-groups/{dm.Id}/voice-presence", VoiceEventNames.UserUpdated, VoiceEventNames.UserLeft, VoiceEventNames.SessionMoved);
        }

        var channel = await alice.CreateChannelAsync("Lobby", bob);
        return new Room(kind, channel.Id, $"/voice-channels/{channel.Id}/voice-presence", VoiceEventNames.ChannelUserUpdated, VoiceEventNames.ChannelUserLeft, VoiceEventNames.ChannelSessionMoved);
    }

    private static async Task JoinAsync(VoiceUser user, Room room, object body) =>
        await VoiceUser.EnsureSuccessAsync(await user.Http.PostAsJsonAsync($"{room.Presence}/join", body));

    [Theory]
    [InlineData(CallKinds.Dm)]
    [InlineData(CallKinds.Channel)]
    public async Task Joining_from_the_phone_moves_the_seat_off_the_desktop_and_bob_sees_one_update(string kind)
    {
        await using var alice = await VoiceUser.CreateAsync(_server, "alice");
        await using var bob = await VoiceUser.CreateAsync(_server, "bob");
        var room = await CreateRoomAsync(kind, alice, bob);
        var desktop = await alice.ConnectAsync(deviceId: "alice-desktop");
        var phone = await alice.ConnectAsync(deviceId: "alice-phone");
        var bobPhone = await bob.ConnectAsync();
        await JoinAsync(bob, room, new { });
        await JoinAsync(alice, room, new { deviceId = "alice-desktop", deviceKind = "desktop" });

        await JoinAsync(alice, room, new { deviceId = "alice-phone", deviceKind = "mobile" });

        var moved = await desktop.WaitForAsync(room.Moved);
        Assert.Equal("alice-phone", moved.Str("deviceId"));
        Assert.Equal("alice-desktop", moved.Str("previousDeviceId"));
        Assert.Equal("mobile", moved.GetProperty("user").Str("deviceKind"));
        await phone.WaitForAsync(room.Moved);
        var updated = await bobPhone.WaitForAsync(room.Updated, e => e.GetProperty("user").Str("userId") == alice.UserId);
        Assert.Equal("mobile", updated.GetProperty("user").Str("deviceKind"));
        Assert.Equal(moved.GetProperty("version").GetInt64(), updated.GetProperty("version").GetInt64());
        Assert.Equal(0, bobPhone.Count(room.Moved));
        Assert.Equal(0, bobPhone.Count(room.Left));

        var mine = (await alice.Http.GetFromJsonAsync<MyVoiceOverview>("/me/voice", VoiceUser.Json))!;
        Assert.Equal(new ActiveCall(kind, room.Id, "alice-phone", "mobile"), mine.ActiveCall);
        var synced = await alice.ConnectAsync(deviceId: "alice-laptop");
        Assert.Equal(new ActiveCall(kind, room.Id, "alice-phone", "mobile"), synced.Synced!.ActiveCall);
    }

    [Theory]
    [InlineData(CallKinds.Dm)]
    [InlineData(CallKinds.Channel)]
    public async Task The_desktop_that_lost_the_seat_cannot_leave_for_alice_nor_take_her_out_by_disconnecting(string kind)
    {
        await using var alice = await VoiceUser.CreateAsync(_server, "alice");
        await using var bob = await VoiceUser.CreateAsync(_server, "bob");
        var room = await CreateRoomAsync(kind, alice, bob);
        var desktop = await alice.ConnectAsync(deviceId: "alice-desktop");
        var phone = await alice.ConnectAsync(deviceId: "alice-phone");
        var bobPhone = await bob.ConnectAsync();
        await JoinAsync(bob, room, new { });
        await JoinAsync(alice, room, new { deviceId = "alice-desktop" });
        await JoinAsync(alice, room, new { deviceId = "alice-phone" });
        await desktop.WaitForAsync(room.Moved);

        var staleLeave = await alice.Http.DeleteAsync($"{room.Presence}/leave?deviceId=alice-desktop");
        await Rest.AssertProblemAsync(staleLeave, HttpStatusCode.Conflict, ErrorCodes.NotInCall);
        var staleState = await alice.Http.PutAsJsonAsync($"{room.Presence}/state", new { isMuted = true, deviceId = "alice-desktop" });
        await Rest.AssertProblemAsync(staleState, HttpStatusCode.Conflict, ErrorCodes.NotInCall);

        // The desktop goes away for good; the disconnect grace does not start for a device without the seat.
        // The gateway hears of the disconnect a little after the client closes: keep passing the grace
        // (30 s of call time) for a while in real time, and Alice stays in all along.
        await desktop.DisposeAsync();
        for (var i = 0; i < 15; i++)
        {
            _server.Time.Advance(TimeSpan.FromSeconds(31));
            await Task.Delay(TimeSpan.FromMilliseconds(100));
            var presence = await bob.Http.GetFromJsonAsync<System.Text.Json.JsonElement>(room.Presence, VoiceUser.Json);
            Assert.Contains(presence.GetProperty("participants").EnumerateArray(), p => p.Str("userId") == alice.UserId);
        }

        Assert.Equal(0, bobPhone.Count(room.Left, e => e.Str("userId") == alice.UserId));

        // The phone, which holds the seat, leaves for her.
        Assert.Equal(HttpStatusCode.NoContent, (await alice.Http.DeleteAsync($"{room.Presence}/leave?deviceId=alice-phone")).StatusCode);
        var left = await bobPhone.WaitForAsync(room.Left, e => e.Str("userId") == alice.UserId);
        Assert.Equal(LeaveReasons.Left, left.Str("reason"));
    }
}
