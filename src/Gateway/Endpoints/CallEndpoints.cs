using DmVoice.Gateway.Auth;
using DmVoice.Gateway.Contracts;
using DmVoice.Gateway.Problems;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.ModelBinding;

namespace DmVoice.Gateway.Endpoints;

internal static class CallEndpoints
{
    public static RouteGroupBuilder MapCalls(this RouteGroupBuilder api)
    {
        var call = api.MapGroup("/dm-groups/{dmGroupId}").WithTags("Ringing and history");
        call.MapPost("/call/ring", RingAsync).WithSummary("Ring members again (default: everyone not in the call and not ringing)")
            .ProducesProblems(StatusCodes.Status400BadRequest, StatusCodes.Status404NotFound, StatusCodes.Status409Conflict, StatusCodes.Status413PayloadTooLarge, StatusCodes.Status422UnprocessableEntity);
        call.MapPost("/call/decline", DeclineAsync).WithSummary("Decline the ring on all my devices; the caller is told")
            .ProducesProblems(StatusCodes.Status404NotFound, StatusCodes.Status409Conflict, StatusCodes.Status422UnprocessableEntity);
        call.MapPost("/call/dismiss", DismissAsync).WithSummary("Silence the ring on all my devices; not a decline")
            .ProducesProblems(StatusCodes.Status404NotFound, StatusCodes.Status409Conflict, StatusCodes.Status422UnprocessableEntity);
        call.MapPost("/call/stop-ringing", StopRingingAsync).WithSummary("Stop ringing the given members")
            .ProducesProblems(StatusCodes.Status400BadRequest, StatusCodes.Status404NotFound, StatusCodes.Status409Conflict, StatusCodes.Status413PayloadTooLarge, StatusCodes.Status422UnprocessableEntity);
        call.MapGet("/calls", HistoryAsync).WithSummary("Finished calls, newest first; pass nextBefore as before for the next page")
            .ProducesProblems(StatusCodes.Status400BadRequest, StatusCodes.Status404NotFound, StatusCodes.Status422UnprocessableEntity);

        api.MapGet("/me/missed-calls", MissedCallsAsync).WithTags("Me").WithSummary("Calls I missed across my DMs, newest first")
            .ProducesProblems(StatusCodes.Status400BadRequest, StatusCodes.Status422UnprocessableEntity);
        return api;
    }

    private static async Task<Ok<RingResponse>> RingAsync(
        string dmGroupId,
        [FromBody(EmptyBodyBehavior = EmptyBodyBehavior.Allow)] RingRequest? request,
        HttpContext http,
        IGrainFactory grains)
    {
        var result = await grains.DmCall(dmGroupId).Ring(http.User.UserId(), request?.RecipientIds);
        return TypedResults.Ok(new RingResponse(dmGroupId, result.Ringing, result.NotRung));
    }

    private static async Task<NoContent> DeclineAsync(string dmGroupId, HttpContext http, IGrainFactory grains)
    {
        await grains.DmCall(dmGroupId).Decline(http.User.UserId());
        return TypedResults.NoContent();
    }

    private static async Task<NoContent> DismissAsync(string dmGroupId, HttpContext http, IGrainFactory grains)
    {
        await grains.DmCall(dmGroupId).Dismiss(http.User.UserId());
        return TypedResults.NoContent();
    }

    private static async Task<NoContent> StopRingingAsync(string dmGroupId, StopRingingRequest request, HttpContext http, IGrainFactory grains)
    {
        await grains.DmCall(dmGroupId).StopRinging(http.User.UserId(), request.RecipientIds ?? []);
        return TypedResults.NoContent();
    }

    private static async Task<Ok<CallHistoryPage>> HistoryAsync(string dmGroupId, HttpContext http, IGrainFactory grains, int? limit, DateTimeOffset? before)
    {
        var size = Paging.Size(limit);
        var calls = await grains.DmCall(dmGroupId).GetHistory(http.User.UserId(), size, before);
        return TypedResults.Ok(new CallHistoryPage(calls, calls.Count == size ? calls[^1].StartedAt : null));
    }

    private static async Task<Ok<CallHistoryPage>> MissedCallsAsync(HttpContext http, IGrainFactory grains, DateTimeOffset? since, int? limit)
    {
        var size = Paging.Size(limit);
        var calls = await grains.GetGrain<IUserDirectoryGrain>(http.User.UserId()).GetMissedCalls(since, size);
        return TypedResults.Ok(new CallHistoryPage(calls, null));
    }
}
