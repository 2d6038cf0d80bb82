using System.Net;
using System.Net.Http.Json;
using DmVoice.Gateway.Contracts;
using DmVoice.Gateway.Tests.Api;
using Microsoft.AspNetCore.SignalR.Client;

namespace DmVoice.Gateway.Tests.Settings;

/// <summary>Status as others see it, blocking, and muting a DM for oneself, over REST and SignalR.</summary>
public sealed class StatusAndBlockingTests(GatewayFixture fixture) : IClassFixture<GatewayFixture>
{
    private static async Task<T> ReadAsync<T>(HttpResponseMessage response)
    {
        await VoiceUser.EnsureSuccessAsync(response);
        return (await response.Content.ReadFromJsonAsync<T>(VoiceUser.Json))!;
    }

    private static async Task<Dictionary<string, string>> MemberStatusesAsync(VoiceUser viewer, string dmGroupId)
    {
        var members = await ReadAsync<DmMemberList>(await viewer.Http.GetAsync($"/dm-groups/{dmGroupId}/members"));
        return members.Members.ToDictionary(m => m.UserId, m => m.Status);
    }

    [Fact]
    public async Task Others_see_my_chosen_status_while_I_am_connected_and_offline_when_I_am_invisible_or_gone()
    {
        await using var me = fixture.NewUser("me");
        await using var friend = fixture.NewUser("friend");
        var dm = await friend.CreateDmAsync(me);

        Assert.Equal(UserStatuses.Offline, (await MemberStatusesAsync(friend, dm.Id))[me.UserId]);
        Assert.Equal(UserStatuses.Online, (await ReadAsync<MyStatus>(await me.Http.GetAsync("/me/status"))).Status);

        var phone = await me.ConnectAsync();
        Assert.Equal(UserStatuses.Online, (await MemberStatusesAsync(friend, dm.Id))[me.UserId]);

        foreach (var status in new[] { UserStatuses.Idle, UserStatuses.DoNotDisturb, UserStatuses.Invisible, UserStatuses.Online })
        {
            var set = await ReadAsync<MyStatus>(await me.SendAsync("PUT", "/me/status", $$"""{"status":"{{status}}"}"""));
            Assert.Equal(status, set.Status);
            Assert.Equal(status, (await ReadAsync<MyStatus>(await me.Http.GetAsync("/me/status"))).Status);
            var seen = (await MemberStatusesAsync(friend, dm.Id))[me.UserId];
            Assert.Equal(status == UserStatuses.Invisible ? UserStatuses.Offline : status, seen);
        }

        // The members list also carries each member's own name (from their token).
        var members = await Eventually.GetAsync(
            async () => await ReadAsync<DmMemberList>(await friend.Http.GetAsync($"/dm-groups/{dm.Id}/members")),
            m => m.Members.All(x => x.DisplayName is not null),
            "both names to be known");
        Assert.Equal("me", Assert.Single(members.Members, m => m.UserId == me.UserId).DisplayName);
        Assert.Equal("friend", Assert.Single(members.Members, m => m.UserId == friend.UserId).DisplayName);

        await phone.StopAsync();
        await fixture.Server.WaitUntilOfflineAsync(me.UserId);
        await Eventually.GetAsync(() => MemberStatusesAsync(friend, dm.Id), s => s[me.UserId] == UserStatuses.Offline, "me to show offline");
    }

    [Fact]
    public async Task A_call_shows_the_status_of_its_participants_and_of_those_rung_in_presence_me_voice_and_sync()
    {
        await using var caller = fixture.NewUser("caller");
        await using var rung = fixture.NewUser("rung");
        var dm = await caller.CreateDmAsync(rung);
        var callerPhone = await caller.ConnectAsync();
        var rungPhone = await rung.ConnectAsync();
        await rung.SendAsync("PUT", "/me/status", """{"status":"dnd"}""");
        await caller.SendAsync("PUT", "/me/status", """{"status":"invisible"}""");

        await caller.JoinAsync(dm.Id);

        var presence = await caller.PresenceAsync(dm.Id);
        Assert.Equal(new Dictionary<string, string> { [caller.UserId] = UserStatuses.Offline, [rung.UserId] = UserStatuses.DoNotDisturb }, presence.Statuses);
        var mine = await ReadAsync<MyVoiceOverview>(await rung.Http.GetAsync("/me/voice"));
        Assert.Equal(UserStatuses.DoNotDisturb, Assert.Single(mine.LiveCalls).Statuses![rung.UserId]);
        var synced = await rungPhone.Connection.InvokeAsync<MyVoiceOverview>("sync");
        Assert.Equal(UserStatuses.Offline, Assert.Single(synced.LiveCalls).Statuses![caller.UserId]);
        Assert.NotNull(callerPhone);
    }

    [Fact]
    public async Task A_user_I_block_cannot_open_a_new_DM_with_me_or_add_me_to_a_group_and_learns_no_more_than_that_it_failed()
    {
        await using var me = fixture.NewUser("me");
        await using var mallory = fixture.NewUser("mallory");
        await using var friend = fixture.NewUser("friend");
        var blocked = await ReadAsync<BlockedUser>(await me.SendAsync("PUT", $"/me/blocks/{mallory.UserId}"));
        Assert.Equal(mallory.UserId, blocked.UserId);
        Assert.Equal([mallory.UserId], (await ReadAsync<BlockList>(await me.Http.GetAsync("/me/blocks"))).Blocks.Select(b => b.UserId));

        var oneToOne = await Rest.AssertProblemAsync(
            await mallory.SendAsync("POST", "/dm-groups", $$"""{"memberIds":["{{me.UserId}}"]}"""), HttpStatusCode.Forbidden, ErrorCodes.CannotDmUser);
        Assert.DoesNotContain("block", oneToOne.ToString(), StringComparison.OrdinalIgnoreCase);
        await Rest.AssertProblemAsync(
            await mallory.SendAsync("POST", "/dm-groups", $$"""{"memberIds":["{{me.UserId}}","{{friend.UserId}}"]}"""), HttpStatusCode.Forbidden, ErrorCodes.CannotDmUser);
        var group = await mallory.CreateDmAsync(friend, fixture.NewUser("third"));
        var added = await Rest.AssertProblemAsync(
            await mallory.SendAsync("PUT", $"/dm-groups/{group.Id}/members/{me.UserId}"), HttpStatusCode.Forbidden, ErrorCodes.CannotDmUser);
        Assert.DoesNotContain("block", added.ToString(), StringComparison.OrdinalIgnoreCase);
        Assert.Empty((await me.ListDmsAsync()).DmGroups);

        // Anyone else still reaches me; a member who is not the blocked one can add me to that group.
        await friend.CreateDmAsync(me);
        await Rest.AssertStatusAsync(await friend.SendAsync("PUT", $"/dm-groups/{group.Id}/members/{me.UserId}"), HttpStatusCode.OK);

        // Once unblocked, mallory may open a DM with me again.
        await Rest.AssertStatusAsync(await me.SendAsync("DELETE", $"/me/blocks/{mallory.UserId}"), HttpStatusCode.NoContent);
        await Rest.AssertStatusAsync(await me.SendAsync("DELETE", $"/me/blocks/{mallory.UserId}"), HttpStatusCode.NoContent);
        Assert.Empty((await ReadAsync<BlockList>(await me.Http.GetAsync("/me/blocks"))).Blocks);
        await Rest.AssertStatusAsync(
            await mallory.SendAsync("POST", "/dm-groups", $$"""{"memberIds":["{{me.UserId}}"]}"""), HttpStatusCode.Created);
    }

    [Fact]
    public async Task A_1_to_1_DM_that_existed_before_the_block_is_still_returned_to_the_blocked_user()
    {
        await using var me = fixture.NewUser("me");
        await using var ex = fixture.NewUser("ex");
        var dm = await ex.CreateDmAsync(me);
        await me.SendAsync("PUT", $"/me/blocks/{ex.UserId}");

        var again = await ex.SendAsync("POST", "/dm-groups", $$"""{"memberIds":["{{me.UserId}}"]}""");

        await Rest.AssertStatusAsync(again, HttpStatusCode.OK);
        Assert.Equal(dm.Id, (await again.Content.ReadFromJsonAsync<DmGroup>(VoiceUser.Json))!.Id);
    }

    [Fact]
    public async Task Blocking_oneself_or_an_invalid_id_is_422_and_blocking_twice_keeps_the_first_time()
    {
        await using var me = fixture.NewUser("me");
        await Rest.AssertProblemAsync(await me.SendAsync("PUT", $"/me/blocks/{me.UserId}"), HttpStatusCode.UnprocessableEntity, ErrorCodes.ValidationFailed);
        await Rest.AssertProblemAsync(await me.SendAsync("PUT", "/me/blocks/has%20space"), HttpStatusCode.UnprocessableEntity, ErrorCodes.ValidationFailed);
        await Rest.AssertProblemAsync(await me.SendAsync("DELETE", "/me/blocks/has%20space"), HttpStatusCode.UnprocessableEntity, ErrorCodes.ValidationFailed);

        var other = TestIds.User("other");
        var first = await ReadAsync<BlockedUser>(await me.SendAsync("PUT", $"/me/blocks/{other}"));
        var second = await ReadAsync<BlockedUser>(await me.SendAsync("PUT", $"/me/blocks/{other}"));
        Assert.Equal(first, second);
    }

    [Fact]
    public async Task A_DM_I_mute_is_muted_for_me_alone_until_the_time_I_chose_and_shows_so_in_my_list()
    {
        await using var me = fixture.NewUser("me");
        await using var friend = fixture.NewUser("friend");
        var dm = await friend.CreateDmAsync(me);
        Assert.Equal(new DmSettings(dm.Id, false, null), await ReadAsync<DmSettings>(await me.Http.GetAsync($"/dm-groups/{dm.Id}/settings")));

        var until = fixture.Server.Time.GetUtcNow() + TimeSpan.FromHours(8);
        var muted = await ReadAsync<DmSettings>(await me.Http.PutAsJsonAsync($"/dm-groups/{dm.Id}/settings", new { muted = true, mutedUntil = until }));
        Assert.Equal(new DmSettings(dm.Id, true, until), muted);
        Assert.Equal(muted, await ReadAsync<DmSettings>(await me.Http.GetAsync($"/dm-groups/{dm.Id}/settings")));
        var listed = Assert.Single((await me.ListDmsAsync()).DmGroups);
        Assert.True(listed.Muted);
        Assert.Equal(until, listed.MutedUntil);
        Assert.False(Assert.Single((await friend.ListDmsAsync()).DmGroups).Muted);

        fixture.Server.Time.Advance(TimeSpan.FromHours(8));
        Assert.False((await ReadAsync<DmSettings>(await me.Http.GetAsync($"/dm-groups/{dm.Id}/settings"))).Muted);

        var forever = await ReadAsync<DmSettings>(await me.Http.PutAsJsonAsync($"/dm-groups/{dm.Id}/settings", new { muted = true }));
        Assert.Equal(new DmSettings(dm.Id, true, null), forever);
        var unmuted = await ReadAsync<DmSettings>(await me.Http.PutAsJsonAsync($"/dm-groups/{dm.Id}/settings", new { muted = false }));
        Assert.Equal(new DmSettings(dm.Id, false, null), unmuted);
    }
}
