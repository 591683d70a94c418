using System.Globalization;
using Marketing.Sdk;
using Marketing.Sdk.Profiles;
using Marketing.Sdk.Storage;

namespace QuickStart;

internal sealed record ProfilesReport(long Profiles, int Merges, int Unified, int Known, int TraitsSet);

/// <summary>
/// Step 2: the unified profiles. Checks identity resolution against the generator's ground truth,
/// then copies the birthday from each sign-up form into profile traits (<c>birthday</c>, <c>age</c>)
/// the way a CRM import would, so segments can use "who they are" as well as "what they do".
/// </summary>
internal static class ProfilesStep
{
    public static async Task<ProfilesReport> RunAsync(QuickStartContext run)
    {
        var profiles = run.Get<IProfileStore>();
        var graph = run.Get<IIdentityGraphStore>();
        var profileService = run.Get<IProfileService>();
        var count = await profiles.CountAsync();
        var merges = 0;
        await foreach (var _ in graph.ReadMergesAsync())
        {
            merges++;
        }
        // How many people ended up on exactly one profile (ground truth from the generator)?
        int unified = 0, known = 0;
        foreach (var person in run.Shop.People.Take(500))
        {
            var ids = new HashSet<CustomerId>();
            foreach (var identity in person.Identities.Where(i => i.Kind is IdentityKind.Phone or IdentityKind.MemberId))
            {
                if (await profileService.FindByIdentityAsync(identity) is { } p)
                {
                    ids.Add(p.Id);
                }
            }
            known += ids.Count > 0 ? 1 : 0;
            unified += ids.Count == 1 ? 1 : 0;
        }

        // Traits from the sign-up form.
        var today = DateOnly.FromDateTime(run.ShopEnd.DateTime);
        var traitsSet = 0;
        var signUps = new List<MarketingEvent>();
        await foreach (var e in run.Get<IEventStore>().ReadAsync(new EventQuery { Types = [EventType.SignUp] }))
        {
            signUps.Add(e);
        }
        foreach (var e in signUps)
        {
            if (e.CustomerId is { } id && e.Properties.TryGetValue("birthday", out var b) && b.AsString() is { } text
                && DateOnly.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var birthday))
            {
                var age = today.Year - birthday.Year - (today < birthday.AddYears(today.Year - birthday.Year) ? 1 : 0);
                await profileService.SetTraitsAsync(id, new Dictionary<string, PropertyValue> { ["birthday"] = text, ["age"] = age });
                traitsSet++;
            }
        }

        run.Heading(2, "Identity resolution and profiles");
        run.Line($"people in the shop     {run.Shop.People.Count,10:N0}");
        run.Line($"unified profiles       {count,10:N0}   (anonymous visitors and bots have profiles of their own)");
        run.Line($"profile merges         {merges,10:N0}");
        run.Line($"phone and member id on one profile: {unified} of {known} signed-up people checked");
        run.Line($"traits from sign-up    {traitsSet,10:N0}   profiles got birthday and age");
        run.Line();
        return new ProfilesReport(count, merges, unified, known, traitsSet);
    }
}
