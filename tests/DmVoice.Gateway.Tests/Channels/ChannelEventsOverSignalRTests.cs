using System.Net.Http.Json;
using System.Text.Json;

namespace DmVoice.Gateway.Tests.Channels;

/// <summary>
/// A channel's own changes (created, renamed, limited, access given and taken, deleted) reach its
/// members' devices live, over real HTTP and real SignalR connections: every member, nobody else, and
/// a user who loses access hears it last. In both delivery modes (this suite also runs as
/// DmVoice.Gateway.Tests.Streams).
/// </summary>
public sealed class ChannelEventsOverSignalRTests : IAsyncLifetime
{
    // Long enough for a stray event to arrive on the same in-process gateway; used only to show absence.
    private static readonly TimeSpan Settle = TimeSpan.FromMilliseconds(500);

    private GatewayServer _server = null!;

    public async ValueTask InitializeAsync() => _server = await GatewayServer.StartAsync(s => s["Gateway:RequestsPerMinute"] = "1000000");

    public async ValueTask DisposeAsync() => await _server.DisposeAsync();

    private static Task<VoiceChannel> CreateChannelAsync(VoiceUser owner, string name, params VoiceUser[] members) =>
        owner.CreateChannelAsync(name, members);

    private static Func<JsonElement, bool> Of(VoiceChannel channel) => e => e.Str("channelId") == channel.Id;

    private static string[] MemberIds(JsonElement updated) =>
        updated.GetProperty("channel").GetProperty("memberIds").EnumerateArray().Select(m => m.GetString()!).ToArray();

    private static long Version(JsonElement e) => e.GetProperty("version").GetInt64();

    /// <summary>The events of one channel on a device, in arrival order.</summary>
    private static (string Name, JsonElement Payload)[] EventsOf(VoiceUser.Device device, VoiceChannel channel) =>
        device.Events.Where(e => e.Payload.TryGetProperty("channelId", out var id) && id.GetString() == channel.Id).ToArray();

    private static (string Name, JsonElement Payload)[] EventsAfter(VoiceUser.Device device, VoiceChannel channel, long version) =>
        EventsOf(device, channel).Where(e => Version(e.Payload) > version).ToArray();

    [Fact]
    public async Task Creating_a_channel_invites_the_users_named_and_accepting_shows_it_to_every_member_and_to_no_outsider()
    {
        await using var alice = await VoiceUser.CreateAsync(_server, "alice");
        await using var bob = await VoiceUser.CreateAsync(_server, "bob");
        await using var eve = await VoiceUser.CreateAsync(_server, "eve");
        var aliceDevice = await alice.ConnectAsync();
        var bobDevice = await bob.ConnectAsync();
        var eveDevice = await eve.ConnectAsync();

        var created = await alice.Http.PostAsJsonAsync("/voice-channels", new { name = "Lobby", memberIds = new[] { bob.UserId } });
        await VoiceUser.EnsureSuccessAsync(created);
        var channel = (await created.Content.ReadFromJsonAsync<VoiceChannel>(VoiceUser.Json))!;

        // Bob is invited, not in: he sees the invite, the owner sees him among the invited.
        var invited = await bobDevice.WaitForAsync(VoiceEventNames.ChannelInvited, Of(channel));
        Assert.Equal("Lobby", invited.GetProperty("invite").Str("name"));
        Assert.Equal(alice.UserId, invited.GetProperty("invite").Str("ownerId"));
        var toOwner = await aliceDevice.WaitForAsync(VoiceEventNames.ChannelUpdated, Of(channel));
        Assert.Equal([alice.UserId], MemberIds(toOwner));
        Assert.Equal(Version(invited), Version(toOwner));

        await bob.AcceptChannelInviteAsync(channel.Id);

        var toBob = await bobDevice.WaitForAsync(VoiceEventNames.ChannelUpdated, Of(channel));
        Assert.Equal("Lobby", toBob.GetProperty("channel").Str("name"));
        Assert.Equal(alice.UserId, toBob.GetProperty("channel").Str("ownerId"));
        Assert.Equal([alice.UserId, bob.UserId], MemberIds(toBob));
        var toAlice = await aliceDevice.WaitForAsync(VoiceEventNames.ChannelUpdated, e => Of(channel)(e) && MemberIds(e).Contains(bob.UserId));
        Assert.Equal(Version(toBob), Version(toAlice));

        // The voice starts on the same version sequence: the first join is the next version.
        var presence = (await bob.Http.GetFromJsonAsync<ChannelPresence>($"/voice-channels/{channel.Id}/voice-presence", VoiceUser.Json))!;
        Assert.Equal(Version(toBob), presence.Version);

        await Task.Delay(Settle);
        Assert.Empty(EventsOf(eveDevice, channel));
    }

    [Fact]
    public async Task Renaming_and_limiting_a_channel_reach_every_member_in_version_order()
    {
        await using var alice = await VoiceUser.CreateAsync(_server, "alice");
        await using var bob = await VoiceUser.CreateAsync(_server, "bob");
        await using var eve = await VoiceUser.CreateAsync(_server, "eve");
        var channel = await CreateChannelAsync(alice, "Lobby", bob);
        var bobDevice = await bob.ConnectAsync();
        var eveDevice = await eve.ConnectAsync();
        var before = (await bob.Http.GetFromJsonAsync<ChannelPresence>($"/voice-channels/{channel.Id}/voice-presence", VoiceUser.Json))!.Version;

        await VoiceUser.EnsureSuccessAsync(await alice.Http.PatchAsJsonAsync($"/voice-channels/{channel.Id}", new { name = "Studio" }));
        await VoiceUser.EnsureSuccessAsync(await alice.Http.PatchAsJsonAsync($"/voice-channels/{channel.Id}", new { userLimit = 4 }));

        var limited = await bobDevice.WaitForAsync(VoiceEventNames.ChannelUpdated, e => Of(channel)(e) && e.GetProperty("channel").GetProperty("userLimit").GetInt32() == 4);
        // The creation's own event may or may not reach a device connected just after it (Streams
        // delivers what was in flight when the stream was subscribed): only what follows counts here.
        var events = EventsAfter(bobDevice, channel, before);
        Assert.Equal([VoiceEventNames.ChannelUpdated, VoiceEventNames.ChannelUpdated], events.Select(e => e.Name));
        Assert.Equal("Studio", events[0].Payload.GetProperty("channel").Str("name"));
        Assert.Equal(0, events[0].Payload.GetProperty("channel").GetProperty("userLimit").GetInt32());
        Assert.Equal([before + 1, before + 2], events.Select(e => Version(e.Payload)));
        Assert.Equal("Studio", limited.GetProperty("channel").Str("name"));

        // Asking for what is already so changes nothing, and tells nobody.
        await VoiceUser.EnsureSuccessAsync(await alice.Http.PatchAsJsonAsync($"/voice-channels/{channel.Id}", new { userLimit = 4 }));
        await Task.Delay(Settle);
        Assert.Equal(2, EventsAfter(bobDevice, channel, before).Length);
        Assert.Empty(EventsOf(eveDevice, channel));
    }

    [Fact]
    public async Task Inviting_a_user_shows_them_the_invite_and_accepting_it_shows_them_the_channel_and_updates_every_members_list()
    {
        await using var alice = await VoiceUser.CreateAsync(_server, "alice");
        await using var bob = await VoiceUser.CreateAsync(_server, "bob");
        await using var carol = await VoiceUser.CreateAsync(_server, "carol");
        await using var eve = await VoiceUser.CreateAsync(_server, "eve");
        var channel = await CreateChannelAsync(alice, "Lobby", bob);
        var bobDevice = await bob.ConnectAsync();
        var carolDevice = await carol.ConnectAsync();
        var eveDevice = await eve.ConnectAsync();

        await VoiceUser.EnsureSuccessAsync(await alice.Http.PutAsync($"/voice-channels/{channel.Id}/members/{carol.UserId}", null));
        await carolDevice.WaitForAsync(VoiceEventNames.ChannelInvited, Of(channel));
        await carol.AcceptChannelInviteAsync(channel.Id);

        var toCarol = await carolDevice.WaitForAsync(VoiceEventNames.ChannelUpdated, Of(channel));
        Assert.Equal([alice.UserId, bob.UserId, carol.UserId], MemberIds(toCarol));
        Assert.Equal("Lobby", toCarol.GetProperty("channel").Str("name"));
        // Bob may also have the creation's event (see above): the one that matters lists carol.
        var toBob = await bobDevice.WaitForAsync(VoiceEventNames.ChannelUpdated, e => Of(channel)(e) && MemberIds(e).Contains(carol.UserId));
        Assert.Equal(MemberIds(toCarol), MemberIds(toBob));
        Assert.Equal(Version(toCarol), Version(toBob));
        await Task.Delay(Settle);
        Assert.Empty(EventsOf(eveDevice, channel));
    }

    [Theory]
    [InlineData(false, false)]
    [InlineData(false, true)]
    [InlineData(true, false)]
    [InlineData(true, true)]
    public async Task A_user_who_loses_access_hears_voiceChannelRemoved_last_and_the_others_see_the_shorter_list(bool inVoice, bool givesItUp)
    {
        await using var alice = await VoiceUser.CreateAsync(_server, "alice");
        await using var bob = await VoiceUser.CreateAsync(_server, "bob");
        await using var carol = await VoiceUser.CreateAsync(_server, "carol");
        var channel = await CreateChannelAsync(alice, "Lobby", bob, carol);
        var bobDevice = await bob.ConnectAsync();
        var carolDevice = await carol.ConnectAsync();
        if (inVoice)
        {
            await VoiceUser.EnsureSuccessAsync(await bob.Http.PostAsJsonAsync($"/voice-channels/{channel.Id}/voice-presence/join", new { }));
            await VoiceUser.EnsureSuccessAsync(await carol.Http.PostAsJsonAsync($"/voice-channels/{channel.Id}/voice-presence/join", new { }));
            await carolDevice.WaitForAsync(VoiceEventNames.ChannelUserJoined, e => Of(channel)(e) && e.GetProperty("user").Str("userId") == carol.UserId);
        }

        var remover = givesItUp ? carol : alice;
        await VoiceUser.EnsureSuccessAsync(await remover.Http.DeleteAsync($"/voice-channels/{channel.Id}/members/{carol.UserId}"));

        var removed = await carolDevice.WaitForAsync(VoiceEventNames.ChannelRemoved, Of(channel));
        Assert.Equal(ChannelRemovedReasons.AccessRemoved, removed.Str("reason"));
        // Bob's own earlier updates (his acceptance, before carol's) also list no carol: the one that
        // matters is the update of this very change.
        var toBob = await bobDevice.WaitForAsync(VoiceEventNames.ChannelUpdated, e => Of(channel)(e) && Version(e) == Version(removed));
        Assert.Equal([alice.UserId, bob.UserId], MemberIds(toBob));
        if (inVoice)
        {
            // Out of the voice first (removed), then out of the channel, one version apart.
            var left = await bobDevice.WaitForAsync(VoiceEventNames.ChannelUserLeft, e => Of(channel)(e) && e.Str("userId") == carol.UserId);
            Assert.Equal(LeaveReasons.Removed, left.Str("reason"));
            Assert.Equal(Version(left) + 1, Version(removed));
        }

        // What happens in the channel afterwards reaches bob, never carol.
        await VoiceUser.EnsureSuccessAsync(await alice.Http.PatchAsJsonAsync($"/voice-channels/{channel.Id}", new { name = "After" }));
        await VoiceUser.EnsureSuccessAsync(await alice.Http.PostAsJsonAsync($"/voice-channels/{channel.Id}/voice-presence/join", new { }));
        await bobDevice.WaitForAsync(VoiceEventNames.ChannelUserJoined, e => Of(channel)(e) && e.GetProperty("user").Str("userId") == alice.UserId);
        await bobDevice.WaitForAsync(VoiceEventNames.ChannelUpdated, e => Of(channel)(e) && e.GetProperty("channel").Str("name") == "After");
        await Task.Delay(Settle);
        var carolsEvents = EventsOf(carolDevice, channel);
        Assert.Equal(VoiceEventNames.ChannelRemoved, carolsEvents[^1].Name);
        Assert.Single(carolsEvents, e => e.Name == VoiceEventNames.ChannelRemoved);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Deleting_a_channel_tells_every_member_it_is_gone_and_no_outsider(bool inVoice)
    {
        await using var alice = await VoiceUser.CreateAsync(_server, "alice");
        await using var bob = await VoiceUser.CreateAsync(_server, "bob");
        await using var carol = await VoiceUser.CreateAsync(_server, "carol");
        await using var eve = await VoiceUser.CreateAsync(_server, "eve");
        var channel = await CreateChannelAsync(alice, "Lobby", bob, carol);
        var aliceDevice = await alice.ConnectAsync();
        var bobDevice = await bob.ConnectAsync();
        var carolDevice = await carol.ConnectAsync();
        var eveDevice = await eve.ConnectAsync();
        if (inVoice)
        {
            await VoiceUser.EnsureSuccessAsync(await bob.Http.PostAsJsonAsync($"/voice-channels/{channel.Id}/voice-presence/join", new { }));
            await bobDevice.WaitForAsync(VoiceEventNames.ChannelUserJoined, Of(channel));
        }

        await VoiceUser.EnsureSuccessAsync(await alice.Http.DeleteAsync($"/voice-channels/{channel.Id}"));

        var versions = new List<long>();
        foreach (var device in new[] { aliceDevice, bobDevice, carolDevice })
        {
            var removed = await device.WaitForAsync(VoiceEventNames.ChannelRemoved, Of(channel));
            Assert.Equal(ChannelRemovedReasons.Deleted, removed.Str("reason"));
            versions.Add(Version(removed));
        }

        Assert.Single(versions.Distinct());
        if (inVoice)
        {
            var left = await carolDevice.WaitForAsync(VoiceEventNames.ChannelUserLeft, Of(channel));
            Assert.Equal(LeaveReasons.Removed, left.Str("reason"));
            Assert.Equal(Version(left) + 1, versions[0]);
        }

        await Task.Delay(Settle);
        Assert.Equal(VoiceEventNames.ChannelRemoved, EventsOf(bobDevice, channel)[^1].Name);
        Assert.Empty(EventsOf(eveDevice, channel));
    }
}
