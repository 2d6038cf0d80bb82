using System.Net.Http.Headers;
using DmVoice.Gateway.Hosting;
using DmVoice.Gateway.Observability;
using DmVoice.Gateway.Problems;
using DmVoice.Grains.LiveKit;
using DmVoice.LiveKit;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace DmVoice.Gateway.LiveKit;

/// <summary>
/// Applies LiveKit webhooks to the call grains. A webhook is accepted only as LiveKit sends it: content type
/// <c>application/webhook+json</c> and a raw JWT (no "Bearer ") in Authorization, signed with our API key and
/// secret, whose sha256 claim matches the exact body bytes. Anything else is 401 and changes nothing.
/// Redeliveries (same event id) are answered 200 and not applied again.
/// </summary>
public sealed partial class LiveKitWebhookHandler(
    IServiceProvider services,
    IGrainFactory grains,
    IOptions<GatewayOptions> gatewayOptions,
    GatewayMetrics metrics,
    ILogger<LiveKitWebhookHandler> logger)
{
    public const string ContentType = "application/webhook+json";

    private const string UnknownEvent = "unknown";

    public async Task<Results<Ok<LiveKitWebhookResponse>, ProblemHttpResult>> HandleAsync(HttpContext http)
    {
        var receiver = services.GetService<WebhookReceiver>() ?? throw LiveKitEndpoints.NotConfigured();
        if (!IsWebhookContentType(http.Request.ContentType))
        {
            return Reject(http, $"Content-Type must be {ContentType}.");
        }

        var body = await ReadBodyAsync(http.Request, gatewayOptions.Value.MaxRequestBodyBytes, http.RequestAborted);
        WebhookEvent webhook;
        try
        {
            webhook = receiver.Receive(body, http.Request.Headers.Authorization.ToString());
        }
        catch (LiveKitAuthException ex)
        {
            LogRejected(ex.Message);
            return Reject(http, "The webhook signature is missing or invalid.");
        }
        catch (LiveKitException ex)
        {
            // Signed by LiveKit but not JSON we can read: nothing to apply, and retrying will not help.
            metrics.WebhookReceived(UnknownEvent, WebhookResults.Malformed);
            return Problem.Result(http, ErrorCodes.MalformedRequest, ex.Message);
        }

        var eventName = string.IsNullOrEmpty(webhook.Event) ? UnknownEvent : webhook.Event;
        string result;
        try
        {
            result = await ApplyOnceAsync(webhook);
        }
        catch (Exception)
        {
            metrics.WebhookReceived(eventName, WebhookResults.Failed);
            throw;
        }

        metrics.WebhookReceived(eventName, result);
        return TypedResults.Ok(new LiveKitWebhookResponse(result));
    }

    private ProblemHttpResult Reject(HttpContext http, string detail)
    {
        metrics.WebhookReceived(UnknownEvent, WebhookResults.Rejected);
        return Problem.Result(http, ErrorCodes.Unauthorized, detail);
    }

    private async Task<string> ApplyOnceAsync(WebhookEvent webhook)
    {
        if (!IsRelevant(webhook.Event) || RoomOf(webhook.Room?.Name) is not { } room)
        {
            return WebhookResults.Ignored;
        }

        var dedup = string.IsNullOrEmpty(webhook.Id) ? null : grains.GetGrain<ILiveKitWebhookGrain>(webhook.Room!.Name);
        if (dedup is not null && !await dedup.TryClaim(webhook.Id))
        {
            LogDuplicate(webhook.Event, webhook.Id);
            return WebhookResults.Duplicate;
        }

        try
        {
            return await ApplyAsync(webhook, room);
        }
        catch (Exception) when (dedup is not null)
        {
            // Not applied: let LiveKit's retry of the same event through.
            try
            {
                await dedup.Release(webhook.Id);
            }
            catch (Exception releaseFailed)
            {
                // The answer must still say why applying failed; the claim stays until the grain forgets it.
                LogReleaseFailed(releaseFailed, webhook.Event, webhook.Id);
            }

            throw;
        }
    }

    private static bool IsRelevant(string eventName) => eventName is WebhookEventNames.ParticipantJoined
        or WebhookEventNames.ParticipantLeft or WebhookEventNames.ParticipantConnectionAborted or WebhookEventNames.RoomFinished;

    /// <summary>The DM's call or voice channel a LiveKit room belongs to; null for any other room.</summary>
    private static CallContext? RoomOf(string? roomName) =>
        LiveKitRooms.TryParseDm(roomName, out var dmGroupId) && Validate.IsValidId(dmGroupId) ? CallContext.Dm(dmGroupId)
        : LiveKitRooms.TryParseChannel(roomName, out var channelId) && Validate.IsValidId(channelId) ? CallContext.Channel(channelId)
        : null;

    private IVoiceRoomMediaGrain MediaOf(CallContext room) => room.Kind == CallKinds.Channel
        ? grains.GetGrain<IVoiceChannelMediaGrain>(room.Id)
        : grains.GetGrain<IDmCallMediaGrain>(room.Id);

    /// <summary>The same path as a REST join, so the one-call rule holds (a previous call is left as "moved").</summary>
    private Task JoinAsync(CallContext room, string userId, JoinRequest join) => room.Kind == CallKinds.Channel
        ? grains.GetGrain<IUserVoiceGrain>(userId).JoinChannel(room.Id, join)
        : grains.GetGrain<IUserVoiceGrain>(userId).JoinDmCall(room.Id, join);

    private async Task<string> ApplyAsync(WebhookEvent webhook, CallContext room)
    {
        var media = MediaOf(room);
        var roomLabel = $"{room.Kind} {room.Id}";
        if (webhook.Event == WebhookEventNames.RoomFinished)
        {
            var ended = await media.RoomFinished(webhook.Room?.CreationTime);
            LogApplied(webhook.Event, roomLabel, "-", ended ? "call ended" : "no live call");
            return ended ? WebhookResults.Applied : WebhookResults.Ignored;
        }

        var participant = webhook.Participant;
        if (participant is null || !Validate.IsValidId(participant.Identity))
        {
            LogBadIdentity(webhook.Event, roomLabel);
            return WebhookResults.Ignored;
        }

        var userId = participant.Identity;
        if (webhook.Event == WebhookEventNames.ParticipantJoined)
        {
            // Strays (not a member, or left the call since this media session began) are removed from the room by the call.
            var check = await media.MediaJoined(userId, participant.JoinedAt);
            if (check != MediaJoinCheck.Join)
            {
                LogApplied(webhook.Event, roomLabel, userId, check.ToString());
                return WebhookResults.Ignored;
            }

            // The name is the one of the user's own token (as a gateway last saw it), never the one in the LiveKit participant.
            var join = new JoinRequest(await OwnDisplayNameAsync(userId));
            try
            {
                await JoinAsync(room, userId, join);
            }
            catch (DmVoiceException ex)
            {
                // E.g. removed from the DM meanwhile, or a full channel: the event cannot apply, retrying will not change that.
                LogApplied(webhook.Event, roomLabel, userId, "join refused: " + ex.Code);
                return WebhookResults.Ignored;
            }

            LogApplied(webhook.Event, roomLabel, userId, "joined the call");
            return WebhookResults.Applied;
        }

        // participant_left / participant_connection_aborted
        if (participant.DisconnectReason == DisconnectReason.DuplicateIdentity)
        {
            // The same user connected again (another device, whose join moved the seat, or a reload): they did not leave.
            LogApplied(webhook.Event, roomLabel, userId, "duplicate identity, still connected");
            return WebhookResults.Ignored;
        }

        var left = await media.MediaLeft(userId, participant.JoinedAt);
        LogApplied(webhook.Event, roomLabel, userId, left ? "left the call (disconnected)" : "not in the call");
        return left ? WebhookResults.Applied : WebhookResults.Ignored;
    }

    private async Task<string> OwnDisplayNameAsync(string userId) =>
        (await grains.GetGrain<IUserSettingsGrain>(userId).GetProfile()).DisplayName ?? userId;

    private static bool IsWebhookContentType(string? contentType) =>
        MediaTypeHeaderValue.TryParse(contentType, out var parsed)
        && string.Equals(parsed.MediaType, ContentType, StringComparison.OrdinalIgnoreCase);

    /// <summary>The exact bytes LiveKit signed, up to the gateway's body limit (413 beyond it).</summary>
    private static async Task<byte[]> ReadBodyAsync(HttpRequest request, long limit, CancellationToken ct)
    {
        if (request.ContentLength > limit)
        {
            throw new BadHttpRequestException("The request body is larger than allowed.", StatusCodes.Status413PayloadTooLarge);
        }

        using var body = new MemoryStream();
        var buffer = new byte[4096];
        int read;
        while ((read = await request.Body.ReadAsync(buffer, ct)) > 0)
        {
            if (body.Length + read > limit)
            {
                throw new BadHttpRequestException("The request body is larger than allowed.", StatusCodes.Status413PayloadTooLarge);
            }

            body.Write(buffer, 0, read);
        }

        return body.ToArray();
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "LiveKit webhook rejected: {Reason}")]
    private partial void LogRejected(string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "LiveKit webhook {Event} {EventId} was not applied, and forgetting its id failed: a redelivery may be taken for a duplicate")]
    private partial void LogReleaseFailed(Exception exception, string @event, string eventId);

    [LoggerMessage(Level = LogLevel.Information, Message = "LiveKit webhook {Event} {EventId} already processed; ignored")]
    private partial void LogDuplicate(string @event, string eventId);

    [LoggerMessage(Level = LogLevel.Information, Message = "LiveKit webhook {Event} for {Room}, {UserId}: {Outcome}")]
    private partial void LogApplied(string @event, string room, string userId, string outcome);

    [LoggerMessage(Level = LogLevel.Warning, Message = "LiveKit webhook {Event} for {Room} has no usable participant identity; ignored")]
    private partial void LogBadIdentity(string @event, string room);
}
