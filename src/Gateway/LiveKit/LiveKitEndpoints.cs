using DmVoice.Gateway.Auth;
using DmVoice.Gateway.Problems;
using DmVoice.LiveKit;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.IdentityModel.JsonWebTokens;

namespace DmVoice.Gateway.LiveKit;

internal static class LiveKitEndpoints
{
    /// <summary>
    /// POST /livekit/dm-token (authenticated) and POST /livekit/webhook (anonymous: LiveKit signs it). Both
    /// answer 503 <c>livekit_not_configured</c> when the deployment has no LiveKit.
    /// </summary>
    public static IEndpointRouteBuilder MapLiveKit(this IEndpointRouteBuilder app)
    {
        var liveKit = app.MapGroup("/livekit").WithTags("LiveKit");
        liveKit.MapPost("/dm-token", CreateDmTokenAsync)
            .RequireAuthorization()
            .WithSummary("A LiveKit token to join the DM's room (members only)")
            .ProducesProblems(ProblemResponses.Common)
            .ProducesProblems(
                StatusCodes.Status400BadRequest, StatusCodes.Status403Forbidden, StatusCodes.Status404NotFound,
                StatusCodes.Status413PayloadTooLarge, StatusCodes.Status422UnprocessableEntity);

        liveKit.MapPost("/channel-token", CreateChannelTokenAsync)
            .RequireAuthorization()
            .WithSummary("A LiveKit token to join the voice channel's room (members only; not while it is full)")
            .ProducesProblems(ProblemResponses.Common)
            .ProducesProblems(
                StatusCodes.Status400BadRequest, StatusCodes.Status403Forbidden, StatusCodes.Status404NotFound,
                StatusCodes.Status409Conflict, StatusCodes.Status413PayloadTooLarge, StatusCodes.Status422UnprocessableEntity);

        // Authenticated by LiveKit's signature, not a user token. Not rate limited per address: all of a
        // LiveKit deployment's webhooks come from few addresses, and dropping one loses a state change.
        liveKit.MapPost("/webhook", (HttpContext http, LiveKitWebhookHandler handler) => handler.HandleAsync(http))
            .AllowAnonymous()
            .DisableRateLimiting()
            .WithSummary("LiveKit webhooks (signed by LiveKit)")
            .ProducesProblems(
                StatusCodes.Status400BadRequest, StatusCodes.Status401Unauthorized, StatusCodes.Status413PayloadTooLarge,
                StatusCodes.Status500InternalServerError, StatusCodes.Status503ServiceUnavailable);
        return app;
    }

    internal static DmVoiceException NotConfigured() =>
        new(ErrorCodes.LiveKitNotConfigured, "This deployment has no LiveKit server configured.");

    private static async Task<Ok<LiveKitTokenResponse>> CreateDmTokenAsync(LiveKitTokenRequest request, HttpContext http, IGrainFactory grains)
    {
        var issuer = http.RequestServices.GetService<ILiveKitTokenIssuer>() ?? throw NotConfigured();
        var dmGroupId = Validate.Id(request.RoomId, "roomId");
        var name = OwnName(request, http);

        // dm_not_found for non-members and unknown DMs alike.
        await grains.GetGrain<IDmGroupGrain>(dmGroupId).Get(http.User.UserId());
        return TypedResults.Ok(Issue(issuer, LiveKitRooms.ForDm(dmGroupId), http.User.UserId(), name));
    }

    private static async Task<Ok<LiveKitTokenResponse>> CreateChannelTokenAsync(LiveKitTokenRequest request, HttpContext http, IGrainFactory grains)
    {
        var issuer = http.RequestServices.GetService<ILiveKitTokenIssuer>() ?? throw NotConfigured();
        var channelId = Validate.Id(request.RoomId, "roomId");
        var name = OwnName(request, http);

        // channel_not_found for users without access and unknown channels alike; a full channel is full
        // for media too (channel_full), unless the user already holds one of its seats.
        var userId = http.User.UserId();
        var voice = await grains.GetGrain<IVoiceChannelGrain>(channelId).GetPresence(userId);
        if (voice.UserLimit > 0 && voice.Participants.Count >= voice.UserLimit && !voice.Participants.Any(p => p.UserId == userId))
        {
            throw new DmVoiceException(ErrorCodes.ChannelFull, $"This channel holds at most {voice.UserLimit} in voice.");
        }

        return TypedResults.Ok(Issue(issuer, LiveKitRooms.ForChannel(channelId), userId, name));
    }

    /// <summary>The caller's own name, after checking that the request asks for no other identity or name (403).</summary>
    private static string OwnName(LiveKitTokenRequest request, HttpContext http)
    {
        var me = http.User.UserId();
        if (request.Identity is not null && Validate.Id(request.Identity, "identity") != me)
        {
            throw new DmVoiceException(ErrorCodes.Forbidden, "'identity' must be your own user id.");
        }

        // The name others see in the room is the one of the caller's own token; a client cannot pick another.
        var name = http.User.DisplayName();
        if (Validate.OptionalName(request.Name, "name") is { } asked && asked != name)
        {
            throw new DmVoiceException(ErrorCodes.Forbidden, "'name' must be your own display name (the one in your token), or left out.");
        }

        return name;
    }

    private static LiveKitTokenResponse Issue(ILiveKitTokenIssuer issuer, string room, string identity, string name)
    {
        var token = issuer.CreateJoinToken(room, identity, name);
        var expiresAt = new DateTimeOffset(new JsonWebToken(token).ValidTo, TimeSpan.Zero);
        return new LiveKitTokenResponse(token, issuer.ServerUrl, room, identity, expiresAt);
    }
}
