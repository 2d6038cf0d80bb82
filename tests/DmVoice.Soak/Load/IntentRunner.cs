using DmVoice.Soak.Clients;
using DmVoice.Soak.Running;

namespace DmVoice.Soak.Load;

/// <summary>Carries out one user's intents against the API, keeping the shared beliefs (<see cref="World"/>) up to date from the answers.</summary>
public sealed class IntentRunner(IReadOnlyList<SimUser> users, World world, Journal journal, int maxRooms)
{
    public async Task RunAsync(SimUser me, Intent intent)
    {
        switch (intent.Kind)
        {
            case IntentKind.ConnectDevice:
                await me.ConnectAsync(intent.A % SimUser.DeviceKinds.Length);
                break;
            case IntentKind.DropDevice:
                // Keep most users reachable: the last device goes only now and then.
                var slot = intent.A % SimUser.DeviceKinds.Length;
                if (me.Devices.Count > 1 || intent.B % 4 == 0)
                {
                    await me.DropAsync(slot);
                }

                break;
            case IntentKind.OpenOneToOne:
                await OpenDmAsync(me, [Other(me, intent.B)], group: false);
                break;
            case IntentKind.OpenGroup:
                await OpenDmAsync(me, Others(me, intent.B, 2 + intent.C % 3), group: true);
                break;
            case IntentKind.CreateChannel:
                await CreateChannelAsync(me, intent);
                break;
            case IntentKind.Join:
                await JoinAsync(me, Pick(world.RoomsOf(me.UserId), intent.A), DeviceFor(me, intent.B), intent.C);
                break;
            case IntentKind.SwitchDevice:
                var other = me.Devices.Select(d => d.DeviceId).Where(d => d != me.SeatDevice).Order(StringComparer.Ordinal).ToList();
                await JoinAsync(me, me.CurrentRoom, Pick(other, intent.B), intent.C);
                break;
            case IntentKind.Leave:
                await LeaveAsync(me, me.CurrentRoom ?? Pick(world.RoomsOf(me.UserId), intent.A), intent.B % 3 == 0 ? me.SeatDevice : null);
                break;
            case IntentKind.ToggleState:
                await ToggleAsync(me, intent);
                break;
            case IntentKind.Ring:
                if (me.CurrentRoom is { IsChannel: false } ringRoom)
                {
                    await me.Api.PostAsync("POST ring", $"{ringRoom.PathPrefix}/call/ring");
                }

                break;
            case IntentKind.AnswerRing:
                await AnswerAsync(me, intent);
                break;
            case IntentKind.StopRinging:
                if (me.CurrentRoom is { IsChannel: false } stopRoom && Pick(stopRoom.Members.Where(m => m != me.UserId).ToList(), intent.B) is { } recipient)
                {
                    await me.Api.PostAsync("POST stop-ringing", $"{stopRoom.PathPrefix}/call/stop-ringing", new { recipientIds = new[] { recipient } });
                }

                break;
            case IntentKind.AddMember:
                await AddMemberAsync(me, intent);
                break;
            case IntentKind.RemoveMember:
                await RemoveMemberAsync(me, Pick(world.RoomsOf(me.UserId, r => r.IsGroup || r.IsChannel), intent.A), intent.B);
                break;
            case IntentKind.ChangeChannelAccess:
                await ChangeChannelAccessAsync(me, intent);
                break;
            case IntentKind.AnswerInvite:
                await AnswerInviteAsync(me, intent);
                break;
            case IntentKind.DeleteChannel:
                if (Pick(world.RoomsOf(me.UserId, r => r.IsChannel && r.OwnerId == me.UserId), intent.A) is { } doomed)
                {
                    var deleted = await me.Api.DeleteAsync("DELETE channel", doomed.PathPrefix);
                    if (deleted.Ok)
                    {
                        world.Forget(doomed.Id);
                    }
                }

                break;
            case IntentKind.ReadPresence:
                if (Pick(world.RoomsOf(me.UserId), intent.A) is { } read)
                {
                    var presence = await me.Api.GetAsync("GET presence", $"{read.PathPrefix}/voice-presence");
                    if (presence.Ok && !read.IsChannel)
                    {
                        journal.SawCall(read.Id, Wire.Text(presence.Body, "callId"));
                    }
                }

                break;
        }
    }

    private static T? Pick<T>(IReadOnlyList<T> items, int index) where T : class => items.Count == 0 ? null : items[index % items.Count];

    private SimUser Other(SimUser me, int index)
    {
        var others = users.Where(u => u != me).ToList();
        return others[index % others.Count];
    }

    private List<SimUser> Others(SimUser me, int seed, int count)
    {
        var others = users.Where(u => u != me).ToList();
        return Enumerable.Range(0, count).Select(i => others[(seed + i * 7) % others.Count]).Distinct().ToList();
    }

    /// <summary>Mostly a connected device; sometimes no device, or one that is not connected (a REST join from elsewhere).</summary>
    private static string? DeviceFor(SimUser me, int choice)
    {
        var connected = me.Devices.Select(d => d.DeviceId).Order(StringComparer.Ordinal).ToList();
        return (choice % 10) switch
        {
            0 => null,
            1 => me.DeviceId(choice / 10 % SimUser.DeviceKinds.Length),
            _ => connected.Count == 0 ? null : connected[choice / 10 % connected.Count],
        };
    }

    private async Task OpenDmAsync(SimUser me, List<SimUser> others, bool group)
    {
        if (world.Count >= maxRooms)
        {
            return;
        }

        object body = group ? new { memberIds = others.Select(o => o.UserId).ToArray(), name = "soak group" } : new { memberIds = others.Select(o => o.UserId).ToArray() };
        var answer = await me.Api.PostAsync(group ? "POST group DM" : "POST 1:1 DM", "/dm-groups", body);
        if (answer.Ok)
        {
            world.Learn(answer.Body, isChannel: false);
        }
    }

    private async Task CreateChannelAsync(SimUser me, Intent intent)
    {
        if (world.Count >= maxRooms)
        {
            return;
        }

        var members = Others(me, intent.B, 1 + intent.C % 5).Select(o => o.UserId).ToArray();
        var answer = await me.Api.PostAsync("POST channel", "/voice-channels", new { name = "soak channel", memberIds = members, userLimit = intent.C % 4 == 0 ? 3 : 0 });
        if (answer.Ok)
        {
            world.Learn(answer.Body, isChannel: true);
        }
    }

    private async Task JoinAsync(SimUser me, KnownRoom? room, string? deviceId, int options)
    {
        if (room is null)
        {
            return;
        }

        if (deviceId is not null)
        {
            journal.DeviceNamed(deviceId, me.UserId);
        }

        var kind = deviceId is null ? null : SimUser.DeviceKinds.FirstOrDefault(k => deviceId.EndsWith("." + k, StringComparison.Ordinal));
        var answer = await me.Api.PostAsync(
            room.IsChannel ? "POST channel join" : "POST DM join",
            $"{room.PathPrefix}/voice-presence/join",
            new { isMuted = options % 2 == 0, isVideoEnabled = options % 3 == 0, deviceId, deviceKind = kind });
        if (answer.Ok)
        {
            me.CurrentRoom = room;
            me.SeatDevice = deviceId;
            if (!room.IsChannel)
            {
                journal.SawCall(room.Id, Wire.Text(answer.Body, "callId"));
            }
        }
        else if (SoakApi.IsNotFound(answer))
        {
            world.Left(room.Id, me.UserId);
        }
    }

    private async Task LeaveAsync(SimUser me, KnownRoom? room, string? deviceId)
    {
        if (room is null)
        {
            return;
        }

        var query = deviceId is null ? string.Empty : "?deviceId=" + Uri.EscapeDataString(deviceId);
        var answer = await me.Api.DeleteAsync(room.IsChannel ? "DELETE channel leave" : "DELETE DM leave", $"{room.PathPrefix}/voice-presence/leave{query}");
        if (answer.Ok || answer.Status == 409)
        {
            me.CurrentRoom = null;
            me.SeatDevice = null;
        }
    }

    private static async Task ToggleAsync(SimUser me, Intent intent)
    {
        if (me.CurrentRoom is not { } room)
        {
            return;
        }

        var on = intent.C % 2 == 0;
        object patch = (intent.B % 4) switch
        {
            0 => new { isMuted = on },
            1 => new { isDeafened = on },
            2 => new { isVideoEnabled = on },
            _ => new { isScreenSharing = on },
        };
        await me.Api.PutAsync(room.IsChannel ? "PUT channel state" : "PUT DM state", $"{room.PathPrefix}/voice-presence/state", patch);
    }

    private async Task AnswerAsync(SimUser me, Intent intent)
    {
        // A ring one of my devices shows; else any of my DMs (a 409 not_ringing then is a fine answer too).
        var ringing = me.RoomsRingingMe();
        var roomId = ringing.Count > 0 ? ringing[intent.A % ringing.Count] : Pick(world.RoomsOf(me.UserId, r => !r.IsChannel), intent.A)?.Id;
        if (roomId is null)
        {
            return;
        }

        var decline = intent.B % 2 == 0;
        await me.Api.PostAsync(decline ? "POST decline" : "POST dismiss", $"/dm-groups/{roomId}/call/{(decline ? "decline" : "dismiss")}");
    }

    /// <summary>Being named on a channel is an invite: mostly accept one that waits, sometimes decline it.</summary>
    private async Task AnswerInviteAsync(SimUser me, Intent intent)
    {
        var waiting = await me.Api.GetAsync("GET /me/voice-channel-invites", "/me/voice-channel-invites");
        if (!waiting.Ok)
        {
            return;
        }

        var channelIds = waiting.Body.GetProperty("invites").EnumerateArray().Select(i => Wire.Text(i, "channelId")!).Order(StringComparer.Ordinal).ToList();
        if (Pick(channelIds, intent.A) is not { } channelId)
        {
            return;
        }

        var accept = intent.B % 4 != 0;
        var answer = await me.Api.PostAsync(accept ? "POST invite accept" : "POST invite decline", $"/voice-channels/{channelId}/invite/{(accept ? "accept" : "decline")}");
        if (answer.Unclear)
        {
            journal.MembershipUncertain(channelId, me.UserId);
        }
        else if (accept && answer.Ok)
        {
            world.Learn(answer.Body, isChannel: true);
        }
    }

    private async Task AddMemberAsync(SimUser me, Intent intent)
    {
        var room = Pick(world.RoomsOf(me.UserId, r => r.IsGroup || (r.IsChannel && r.OwnerId == me.UserId)), intent.A);
        if (room is null)
        {
            return;
        }

        var user = Other(me, intent.B).UserId;
        var answer = await me.Api.PutAsync(room.IsChannel ? "PUT channel member" : "PUT DM member", $"{room.PathPrefix}/members/{user}");
        Settle(room, user, answer);
    }

    private async Task RemoveMemberAsync(SimUser me, KnownRoom? room, int choice)
    {
        if (room is null)
        {
            return;
        }

        // The owner removes someone (now and then themselves, from a DM); a member can only go themselves.
        var others = room.Members.Where(m => m != me.UserId).Order(StringComparer.Ordinal).ToList();
        var user = room.OwnerId == me.UserId && others.Count > 0 && (room.IsChannel || choice % 5 != 0) ? others[choice % others.Count] : me.UserId;
        if (room.IsChannel && user == room.OwnerId)
        {
            return;
        }

        var answer = await me.Api.DeleteAsync(room.IsChannel ? "DELETE channel member" : "DELETE DM member", $"{room.PathPrefix}/members/{user}");
        Settle(room, user, answer);
        if (answer.Status == 204 && !room.IsChannel)
        {
            world.Left(room.Id, user);
        }
    }

    private async Task ChangeChannelAccessAsync(SimUser me, Intent intent)
    {
        var room = Pick(world.RoomsOf(me.UserId, r => r.IsChannel), intent.A);
        if (room is null)
        {
            return;
        }

        if (room.OwnerId != me.UserId)
        {
            var answer = await me.Api.DeleteAsync("DELETE channel member", $"{room.PathPrefix}/members/{me.UserId}");
            Settle(room, me.UserId, answer);
            return;
        }

        await (intent.B % 2 == 0 ? AddMemberAsync(me, intent) : RemoveMemberAsync(me, room, intent.C));
    }

    /// <summary>Keeps the beliefs in line with a membership answer; an unclear one leaves the user's membership uncertain.</summary>
    private void Settle(KnownRoom room, string userId, ApiAnswer answer)
    {
        if (answer.Unclear)
        {
            journal.MembershipUncertain(room.Id, userId);
        }
        else if (answer.Ok && answer.Status != 204)
        {
            world.Learn(answer.Body, room.IsChannel);
        }
        else if (answer.Status == 204)
        {
            world.Left(room.Id, userId);
        }
        else if (SoakApi.IsNotFound(answer))
        {
            world.Left(room.Id, userId);
        }
    }
}
