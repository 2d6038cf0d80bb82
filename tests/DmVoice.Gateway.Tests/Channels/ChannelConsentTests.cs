using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using DmVoice.Gateway.Contracts;
using DmVoice.Gateway.Tests.Api;

namespace DmVoice.Gateway.Tests.Channels;

/// <summary>
/// Nobody is put on a voice channel's access list without their say, over real HTTP and SignalR: naming a
/// user invites them, and they accept, decline or refuse invites for good; a user who blocks the owner, and
/// one who refuses invites, look the same to the owner (403 <c>cannot_add_user</c>), so a block is never
/// revealed. In both delivery modes (this suite also runs as DmVoice.Gateway.Tests.Streams).
/// </summary>
public sealed class ChannelConsentTests(GatewayFixture fixture) : IClassFixture<GatewayFixture>
{
    private static Func<JsonElement, bool> Of(string channelId) => e => e.Str("channelId") == channelId;

    private static async Task<VoiceChannel> CreateNamingAsync(VoiceUser owner, params VoiceUser[] named)
    {
        var response = await owner.Http.PostAsJsonAsync("/voice-channels", new { name = "Lobby", memberIds = named.Select(u => u.UserId).ToArray() });
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<VoiceChannel>(VoiceUser.Json))!;
    }

    private static async Task<IReadOnlyList<ChannelInvite>> InvitesAsync(VoiceUser user) =>
        (await user.Http.GetFromJsonAsync<ChannelInviteList>("/me/voice-channel-invites", VoiceUser.Json))!.Invites;

    private static async Task<IReadOnlyList<VoiceChannel>> ChannelsAsync(VoiceUser user) =>
        (await user.Http.GetFromJsonAsync<VoiceChannelPage>("/voice-channels", VoiceUser.Json))!.VoiceChannels;

    private static async Task SetChannelInvitesAsync(VoiceUser user, string value)
    {
        var response = await user.Http.PutAsJsonAsync("/me/privacy", new { channelInvites = value });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(value, (await response.Content.ReadFromJsonAsync<MyPrivacy>(VoiceUser.Json))!.ChannelInvites);
    }

    [Fact]
    public async Task A_user_named_on_a_new_channel_is_only_invited_and_sees_neither_the_channel_nor_its_voice_until_accepting()
    {
        await using var mallory = fixture.NewUser("mallory");
        await using var victim = fixture.NewUser("victim");
        var phone = await victim.ConnectAsync();

        var channel = await CreateNamingAsync(mallory, victim);
        Assert.Equal([mallory.UserId], channel.MemberIds);
        Assert.Equal([victim.UserId], channel.InvitedIds);
        await VoiceUser.EnsureSuccessAsync(await mallory.Http.PostAsJsonAsync($"/voice-channels/{channel.Id}/voice-presence/join", new { }));

        // The invite is what the victim sees: on the device, and in the list of invites.
        var invited = await phone.WaitForAsync(VoiceEventNames.ChannelInvited, Of(channel.Id));
        Assert.Equal(mallory.UserId, invited.GetProperty("invite").Str("ownerId"));
        var invite = Assert.Single(await InvitesAsync(victim));
        Assert.Equal((channel.Id, "Lobby", mallory.UserId), (invite.ChannelId, invite.Name, invite.OwnerId));

        // Not the channel: not in the list, not readable, its live voice not in /me/voice nor in sync.
        Assert.Empty(await ChannelsAsync(victim));
        await Rest.AssertProblemAsync(await victim.Http.GetAsync($"/voice-channels/{channel.Id}"), HttpStatusCode.NotFound, ErrorCodes.ChannelNotFound);
        await Rest.AssertProblemAsync(await victim.Http.PostAsJsonAsync($"/voice-channels/{channel.Id}/voice-presence/join", new { }), HttpStatusCode.NotFound, ErrorCodes.ChannelNotFound);
        Assert.Empty((await victim.Http.GetFromJsonAsync<MyVoiceOverview>("/me/voice", VoiceUser.Json))!.LiveChannels);
        var laptop = await victim.ConnectAsync();
        Assert.Empty(laptop.Synced!.LiveChannels);

        // Declining is the victim's last word from this channel: no voice event came before it.
        Assert.Equal(HttpStatusCode.NoContent, (await victim.Http.PostAsync($"/voice-channels/{channel.Id}/invite/decline", null)).StatusCode);
        var gone = await phone.WaitForAsync(VoiceEventNames.ChannelInviteRemoved, Of(channel.Id));
        Assert.Equal(ChannelInviteRemovedReasons.Declined, gone.Str("reason"));
        Assert.Equal([VoiceEventNames.ChannelInvited, VoiceEventNames.ChannelInviteRemoved], phone.Events.Where(e => Of(channel.Id)(e.Payload)).Select(e => e.Name));
        Assert.Empty(await InvitesAsync(victim));
        Assert.Empty((await mallory.Http.GetFromJsonAsync<VoiceChannel>($"/voice-channels/{channel.Id}", VoiceUser.Json))!.InvitedIds!);
        await Rest.AssertProblemAsync(await victim.Http.PostAsync($"/voice-channels/{channel.Id}/invite/accept", null), HttpStatusCode.NotFound, ErrorCodes.ChannelNotFound);
    }

    [Fact]
    public async Task Accepting_an_invite_makes_the_user_a_member_who_sees_the_live_voice_and_can_leave_again()
    {
        await using var owner = fixture.NewUser("owner");
        await using var friend = fixture.NewUser("friend");
        var channel = await CreateNamingAsync(owner);
        await VoiceUser.EnsureSuccessAsync(await owner.Http.PostAsJsonAsync($"/voice-channels/{channel.Id}/voice-presence/join", new { }));
        var added = await owner.Http.PutAsync($"/voice-channels/{channel.Id}/members/{friend.UserId}", null);
        Assert.Equal(HttpStatusCode.OK, added.StatusCode);
        var phone = await friend.ConnectAsync();

        var accepted = await friend.AcceptChannelInviteAsync(channel.Id);

        Assert.Equal([owner.UserId, friend.UserId], accepted.MemberIds);
        Assert.Empty(accepted.InvitedIds!);
        Assert.Empty(await InvitesAsync(friend));
        Assert.Contains(await ChannelsAsync(friend), c => c.Id == channel.Id);
        Assert.Contains((await friend.Http.GetFromJsonAsync<MyVoiceOverview>("/me/voice", VoiceUser.Json))!.LiveChannels, c => c.ChannelId == channel.Id);
        await VoiceUser.EnsureSuccessAsync(await owner.Http.PutAsJsonAsync($"/voice-channels/{channel.Id}/voice-presence/state", new { isMuted = true }));
        await phone.WaitForAsync(VoiceEventNames.ChannelUserUpdated, Of(channel.Id));

        // Leaving is giving up one's own access, as before.
        Assert.Equal(HttpStatusCode.NoContent, (await friend.Http.DeleteAsync($"/voice-channels/{channel.Id}/members/{friend.UserId}")).StatusCode);
        Assert.DoesNotContain(await ChannelsAsync(friend), c => c.Id == channel.Id);
    }

    [Fact]
    public async Task A_user_who_blocks_the_owner_cannot_be_invited_and_the_owner_is_answered_exactly_as_for_a_user_who_refuses_invites()
    {
        await using var mallory = fixture.NewUser("mallory");
        await using var blocker = fixture.NewUser("blocker");
        await using var refuser = fixture.NewUser("refuser");
        await Rest.AssertStatusAsync(await blocker.SendAsync("PUT", $"/me/blocks/{mallory.UserId}"), HttpStatusCode.OK);
        await SetChannelInvitesAsync(refuser, ChannelInviteSettings.Nobody);
        var mine = await CreateNamingAsync(mallory);

        var answers = new List<JsonElement>();
        foreach (var target in new[] { blocker, refuser })
        {
            answers.Add(await Rest.AssertProblemAsync(
                await mallory.Http.PostAsJsonAsync("/voice-channels", new { name = "Trap", memberIds = new[] { target.UserId } }), HttpStatusCode.Forbidden, ErrorCodes.CannotAddUser));
            answers.Add(await Rest.AssertProblemAsync(
                await mallory.SendAsync("PUT", $"/voice-channels/{mine.Id}/members/{target.UserId}"), HttpStatusCode.Forbidden, ErrorCodes.CannotAddUser));
        }

        // Word for word the same, apart from the trace: nothing tells a block from a refusal.
        var shown = answers.Select(a => (a.Str("title"), a.Str("detail"), a.Str("type"))).ToArray();
        Assert.Equal(shown[0], shown[2]);
        Assert.Equal(shown[1], shown[3]);
        Assert.All(answers, a => Assert.DoesNotContain("block", a.Str("title") + a.Str("detail"), StringComparison.OrdinalIgnoreCase));

        // Nothing was made: no second channel for mallory, no invite for either of them.
        Assert.Equal([mine.Id], (await ChannelsAsync(mallory)).Select(c => c.Id));
        Assert.Empty((await mallory.Http.GetFromJsonAsync<VoiceChannel>($"/voice-channels/{mine.Id}", VoiceUser.Json))!.InvitedIds!);
        Assert.Empty(await InvitesAsync(blocker));
        Assert.Empty(await InvitesAsync(refuser));

        // Anyone else the blocker does not block still reaches them.
        await using var friend = fixture.NewUser("friend");
        await CreateNamingAsync(friend, blocker);
        Assert.Single(await InvitesAsync(blocker));
    }

    [Fact]
    public async Task Refusing_invites_for_good_stops_every_later_invite_and_keeps_the_channels_already_joined()
    {
        await using var owner = fixture.NewUser("owner");
        await using var user = fixture.NewUser("user");
        var joined = await owner.CreateChannelAsync("Joined", user);
        Assert.Equal(ChannelInviteSettings.Everyone, (await user.Http.GetFromJsonAsync<MyPrivacy>("/me/privacy", VoiceUser.Json))!.ChannelInvites);

        await SetChannelInvitesAsync(user, ChannelInviteSettings.Nobody);

        await Rest.AssertProblemAsync(
            await owner.Http.PostAsJsonAsync("/voice-channels", new { name = "Another", memberIds = new[] { user.UserId } }), HttpStatusCode.Forbidden, ErrorCodes.CannotAddUser);
        Assert.Equal(HttpStatusCode.OK, (await user.Http.GetAsync($"/voice-channels/{joined.Id}")).StatusCode);
        await Rest.AssertProblemAsync(await user.Http.PutAsJsonAsync("/me/privacy", new { channelInvites = "friends" }), HttpStatusCode.UnprocessableEntity, ErrorCodes.ValidationFailed);

        await SetChannelInvitesAsync(user, ChannelInviteSettings.Everyone);
        await CreateNamingAsync(owner, user);
        Assert.Single(await InvitesAsync(user));
    }

    [Fact]
    public async Task An_invite_the_owner_withdraws_or_deletes_leaves_every_device_of_the_invited_user()
    {
        await using var owner = fixture.NewUser("owner");
        await using var guest = fixture.NewUser("guest");
        var phone = await guest.ConnectAsync();
        var laptop = await guest.ConnectAsync();
        var first = await CreateNamingAsync(owner, guest);
        var second = await CreateNamingAsync(owner, guest);
        Assert.Equal(2, (await InvitesAsync(guest)).Count);

        Assert.Equal(HttpStatusCode.OK, (await owner.Http.DeleteAsync($"/voice-channels/{first.Id}/members/{guest.UserId}")).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await owner.Http.DeleteAsync($"/voice-channels/{second.Id}")).StatusCode);

        foreach (var device in new[] { phone, laptop })
        {
            Assert.Equal(ChannelInviteRemovedReasons.Withdrawn, (await device.WaitForAsync(VoiceEventNames.ChannelInviteRemoved, Of(first.Id))).Str("reason"));
            Assert.Equal(ChannelInviteRemovedReasons.Deleted, (await device.WaitForAsync(VoiceEventNames.ChannelInviteRemoved, Of(second.Id))).Str("reason"));
        }

        Assert.Empty(await InvitesAsync(guest));
        Assert.Empty(await ChannelsAsync(guest));
    }

    [Fact]
    public async Task Giving_up_access_while_only_invited_declines_the_invite()
    {
        await using var owner = fixture.NewUser("owner");
        await using var guest = fixture.NewUser("guest");
        var channel = await CreateNamingAsync(owner, guest);

        Assert.Equal(HttpStatusCode.NoContent, (await guest.Http.DeleteAsync($"/voice-channels/{channel.Id}/members/{guest.UserId}")).StatusCode);

        Assert.Empty(await InvitesAsync(guest));
        Assert.Empty((await owner.Http.GetFromJsonAsync<VoiceChannel>($"/voice-channels/{channel.Id}", VoiceUser.Json))!.InvitedIds!);
    }
}
