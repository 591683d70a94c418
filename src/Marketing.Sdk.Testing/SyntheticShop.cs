using System.Globalization;

namespace Marketing.Sdk.Testing;

/// <summary>Settings of a <see cref="SyntheticShop"/>.</summary>
public sealed record SyntheticShopOptions
{
    /// <summary>Random seed; the same seed always yields the same shop.</summary>
    public int Seed { get; init; } = 20261122;

    /// <summary>Number of people.</summary>
    public int Customers { get; init; } = 2_000;

    /// <summary>Number of products in the catalogue.</summary>
    public int Products { get; init; } = 240;

    /// <summary>First day of activity.</summary>
    public DateTimeOffset Start { get; init; } = new(2026, 8, 1, 0, 0, 0, TimeSpan.FromHours(8));

    /// <summary>Number of days of activity.</summary>
    public int Days { get; init; } = 90;

    /// <summary>Share of events sent twice (client retries).</summary>
    public double DuplicateRate { get; init; } = 0.01;

    /// <summary>Number of automated sessions (crawlers, click bots).</summary>
    public int BotSessions { get; init; } = 12;

    /// <summary>Number of tablets shared by several family members.</summary>
    public int SharedDevices { get; init; } = 15;

    /// <summary>Share of malformed events (future timestamps, negative quantities, bad emails, missing identities).</summary>
    public double InvalidRate { get; init; } = 0.002;

    /// <summary>Currency of prices.</summary>
    public string Currency { get; init; } = "CNY";

    /// <summary>
    /// Share of people who added the shop's WeCom customer-service account (default 0): they get a WeCom
    /// <c>external_userid</c>, linked to their member id by a <c>wecom_contact_added</c> event right after their
    /// sign-up. Drawn apart from the rest of the shop, so changing it adds those events and changes no other.
    /// </summary>
    public double WeComContactRate { get; init; }
}

/// <summary>One synthetic person (what the generator knows, for checking resolution results).</summary>
/// <param name="Index">Position of the person.</param>
/// <param name="Identities">Every identity the person uses (phone, email, devices, WeChat ids, member id).</param>
public sealed record SyntheticPerson(int Index, IReadOnlyList<Identity> Identities);

/// <summary>
/// A deterministic synthetic e-commerce shop: people with several devices and WeChat identities who
/// browse anonymously, log in (linking device and member id), search, cart, buy and get ads across
/// channels; plus the noise real pipelines see (duplicates, bot sessions, shared tablets, malformed
/// events). For tests, demos and benchmarks; all personal data is fake.
/// </summary>
public sealed class SyntheticShop
{
    private static readonly string[] Categories =
    [
        "beauty/skincare", "beauty/makeup", "maternity/care", "maternity/clothing", "home/kitchen", "home/textiles",
        "electronics/audio", "electronics/phones", "sports/outdoor", "sports/fitness", "food/snacks", "food/tea",
    ];

    private static readonly string[] Brands = ["Aurora", "Bamboo", "Cedar", "Dune", "Ember", "Fjord", "Grove", "Harbor"];

    private static readonly (Channel Channel, double Weight)[] Channels =
    [
        (Channel.Direct, 0.22), (Channel.Search, 0.14), (Channel.Douyin, 0.14), (Channel.WeChat, 0.12),
        (Channel.Xiaohongshu, 0.1), (Channel.Email, 0.06), (Channel.Sms, 0.04), (Channel.PrivateDomain, 0.06),
        (Channel.Baidu, 0.05), (Channel.Kuaishou, 0.04), (Channel.Bilibili, 0.03),
    ];

    /// <summary>The event of a customer adding the shop's WeCom account (as the WeCom contact-added callback records it).</summary>
    public static EventType WeComContactAdded { get; } = EventType.Create("wecom_contact_added");

    private static readonly string[] Regions = ["CN-SH", "CN-BJ", "CN-GD", "CN-ZJ", "CN-JS", "CN-SC", "CN-HB", "CN-FJ"];

    private readonly SyntheticShopOptions _options;

    /// <summary>Creates a shop.</summary>
    /// <param name="options">Settings; defaults when <see langword="null"/>.</param>
    public SyntheticShop(SyntheticShopOptions? options = null)
    {
        _options = options ?? new SyntheticShopOptions();
        var random = new Random(_options.Seed);
        Products = Enumerable.Range(0, _options.Products).Select(i => MakeProduct(i, random)).ToList();
        People = Enumerable.Range(0, _options.Customers).Select(i => MakePerson(i, random)).ToList();
    }

    /// <summary>The catalogue.</summary>
    public IReadOnlyList<Product> Products { get; }

    /// <summary>The people (ground truth for identity resolution).</summary>
    public IReadOnlyList<SyntheticPerson> People { get; }

    /// <summary>
    /// Every event of the shop in time order (a few malformed ones and duplicates included, as
    /// configured). Enumerating twice yields the same events.
    /// </summary>
    public IEnumerable<MarketingEvent> Events()
    {
        var random = new Random(_options.Seed + 1);
        var events = new List<MarketingEvent>();
        var sharedTablets = Enumerable.Range(0, _options.SharedDevices)
            .Select(i => Identity.Device($"tablet-{i:D4}-{_options.Seed % 9973:D4}")).ToArray();
        foreach (var person in People)
        {
            GenerateJourney(person, random, sharedTablets, events);
        }
        for (var b = 0; b < _options.BotSessions; b++)
        {
            GenerateBot(b, random, events);
        }
        events.Sort((x, y) =>
        {
            var c = x.OccurredAt.CompareTo(y.OccurredAt);
            return c != 0 ? c : string.CompareOrdinal(x.Id, y.Id);
        });
        foreach (var e in events)
        {
            yield return e;
            if (random.NextDouble() < _options.DuplicateRate)
            {
                yield return e;
            }
        }
    }

    private Product MakeProduct(int i, Random random)
    {
        var category = Categories[i % Categories.Length];
        var price = Math.Round((decimal)(Math.Exp(random.NextDouble() * 4 + 2.5)), 0) + 0.9m;
        return new Product
        {
            ProductId = $"sku-{i:D5}",
            Title = $"{Brands[random.Next(Brands.Length)]} {category.Split('/')[1]} item {i}",
            Category = category,
            Brand = Brands[i % Brands.Length],
            Price = new Money(price, _options.Currency),
            Tags = [random.NextDouble() < 0.3 ? "winter" : "all-season", price > 200 ? "premium" : "value"],
            StockQuantity = random.Next(0, 500),
            Margin = Math.Round((decimal)(0.15 + random.NextDouble() * 0.45), 2),
        };
    }

    private SyntheticPerson MakePerson(int i, Random random)
    {
        var ids = new List<Identity>
        {
            Identity.Phone("+86 1" + (30 + random.Next(60)).ToString(CultureInfo.InvariantCulture) + random.Next(10_000_000, 99_999_999).ToString(CultureInfo.InvariantCulture)),
            Identity.Email($"Shopper.{i}.{random.Next(1000, 9999)}@Example.com "),
            Identity.Device($"dev-{Guid.CreateVersion7(_options.Start.AddSeconds(i)).ToString("N")[..20]}-{random.Next():x8}"),
            Identity.Cookie($"ck-{random.Next():x8}{random.Next():x8}"),
        };
        if (random.NextDouble() < 0.5)
        {
            ids.Add(Identity.Device($"dev2-{random.Next():x8}{random.Next():x8}"));
        }
        if (random.NextDouble() < 0.6)
        {
            ids.Add(Identity.WeChatOpenId($"o{random.Next():x8}{random.Next():x8}{random.Next():x8}{random.Next(4096):x3}"));
            ids.Add(Identity.WeChatUnionId($"u{random.Next():x8}{random.Next():x8}{random.Next():x8}{random.Next(4096):x3}"));
        }
        ids.Add(Identity.Member($"m{100_000 + i}"));
        // A generator of its own per person, so the WeCom share leaves every other draw of the shop as it was.
        var contact = new Random(unchecked((_options.Seed * 31) + i));
        if (contact.NextDouble() < _options.WeComContactRate)
        {
            ids.Add(Identity.WeComExternalUserId($"wm{contact.Next():x8}{contact.Next():x8}{contact.Next(65536):x4}"));
        }
        return new SyntheticPerson(i, ids);
    }

    private void GenerateJourney(SyntheticPerson person, Random random, Identity[] sharedTablets, List<MarketingEvent> events)
    {
        var phone = person.Identities[0];
        var email = person.Identities[1];
        var device = person.Identities[2];
        var cookie = person.Identities[3];
        var member = person.Identities.First(i => i.Kind == IdentityKind.MemberId);
        var otherDevices = person.Identities.Where(i => i.Kind == IdentityKind.DeviceId && i != device).ToList();
        var weChat = person.Identities.Where(i => i.Kind is IdentityKind.WeChatOpenId or IdentityKind.WeChatUnionId).ToList();
        Identity? weCom = person.Identities.FirstOrDefault(i => i.Kind == IdentityKind.WeComExternalUserId) is { Value: not null } w ? w : null;
        var region = Regions[random.Next(Regions.Length)];
        var tablet = random.NextDouble() < 0.08 && sharedTablets.Length > 0 ? sharedTablets[random.Next(sharedTablets.Length)] : (Identity?)null;
        var favourite = Categories[random.Next(Categories.Length)];
        var sessions = 1 + (int)Math.Floor(-Math.Log(1 - random.NextDouble()) * 5);
        var signedUp = false;
        var n = 0;
        var birthday = new DateTime(1970 + random.Next(40), 1 + random.Next(12), 1 + random.Next(28), 0, 0, 0, DateTimeKind.Unspecified);

        for (var s = 0; s < sessions; s++)
        {
            var day = random.Next(_options.Days);
            var at = _options.Start.AddDays(day).AddMinutes(random.Next(8 * 60, 23 * 60));
            var session = $"s-{person.Index}-{s}";
            var channel = PickChannel(random);
            var campaign = channel == Channel.Direct ? null : $"cmp-{channel.Value}-{random.Next(3)}";
            // Anonymous browsing on some device, then maybe a login that links the device to the member.
            var deviceNow = tablet is { } t && random.NextDouble() < 0.3 ? t
                : otherDevices.Count > 0 && random.NextDouble() < 0.3 ? otherDevices[0] : device;
            IReadOnlyList<Identity> anonymous = random.NextDouble() < 0.5 ? [deviceNow] : [deviceNow, cookie];
            var loggedIn = random.NextDouble() < 0.65;
            IReadOnlyList<Identity> known = loggedIn
                ? (weChat.Count == 2 && random.NextDouble() < 0.4 ? [deviceNow, weChat[0], weChat[1], member] : [deviceNow, member])
                : anonymous;

            MarketingEvent Make(EventType type, IReadOnlyList<Identity> ids, Dictionary<string, PropertyValue>? props = null, Order? order = null)
            {
                at = at.AddSeconds(5 + random.Next(90));
                return new MarketingEvent
                {
                    Id = $"e-{person.Index}-{s}-{n++}",
                    Type = type,
                    OccurredAt = at,
                    Identities = ids,
                    Channel = channel,
                    CampaignId = campaign,
                    SessionId = session,
                    Region = region,
                    Properties = props ?? [],
                    Order = order,
                };
            }

            if (campaign is not null && random.NextDouble() < 0.5)
            {
                events.Add(Make(EventType.AdImpression, anonymous));
                var click = random.Next();
                events.Add(Make(EventType.AdClick, anonymous, LandingProps(channel, click, person.Index, s)));
            }
            events.Add(Make(EventType.PageView, anonymous, new() { [EventProperties.Url] = "/" }));
            if (!signedUp && loggedIn)
            {
                signedUp = true;
                // Sign-up links phone, email and member id (and the device in use).
                events.Add(Make(EventType.SignUp, [deviceNow, phone, email, member], new()
                {
                    ["birthday"] = birthday.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
                }));
                if (weCom is { } contact)
                {
                    // The member adds the shop's WeCom account from the welcome page (the contact-added callback links the ids).
                    events.Add(new MarketingEvent
                    {
                        Id = $"e-{person.Index}-{s}-wecom",
                        Type = WeComContactAdded,
                        OccurredAt = at.AddSeconds(20),
                        Identities = [member, contact],
                        Channel = Channel.PrivateDomain,
                        SessionId = session,
                        Region = region,
                    });
                }
            }
            else if (loggedIn)
            {
                events.Add(Make(EventType.Login, known));
            }
            if (random.NextDouble() < 0.4)
            {
                events.Add(Make(EventType.Search, known, new() { [EventProperties.Query] = favourite.Split('/')[1] }));
            }
            var views = 1 + random.Next(6);
            var carted = new List<Product>();
            for (var v = 0; v < views; v++)
            {
                var product = PickProduct(random, favourite);
                events.Add(Make(EventType.ProductView, known, ProductProps(product)));
                if (random.NextDouble() < 0.25)
                {
                    carted.Add(product);
                    events.Add(Make(EventType.AddToCart, known, ProductProps(product, 1 + random.Next(2))));
                }
            }
            if (carted.Count > 0 && loggedIn && random.NextDouble() < 0.55)
            {
                events.Add(Make(EventType.BeginCheckout, known));
                var lines = carted.Select(p => new OrderLine { ProductId = p.ProductId, Quantity = 1 + random.Next(2), UnitPrice = p.Price, Category = p.Category }).ToList();
                var order = new Order { OrderId = $"o-{person.Index}-{s}", PlacedAt = at, Lines = lines };
                events.Add(Make(EventType.Purchase, [.. known, phone], order: order with { PlacedAt = at.AddSeconds(30) }));
                if (random.NextDouble() < 0.2)
                {
                    events.Add(Make(EventType.Review, known, new() { [EventProperties.ProductId] = carted[0].ProductId, [EventProperties.Rating] = 3 + random.Next(3) }));
                }
            }
            if (random.NextDouble() < _options.InvalidRate * 10)
            {
                events.Add(MakeInvalid(person, random, at, session));
            }
        }
    }

    /// <summary>
    /// The properties of an ad click: the generic click id as before, and the landing URL (a WeChat click: the mini
    /// program's launch query) with the click id of the platform that serves the channel's ads. Derived from the click's
    /// draw only, so the landing URLs leave every other draw of the shop as it was. The overseas platforms stand in for
    /// the shop's cross-border campaigns: Xiaohongshu clicks carry Meta's <c>fbclid</c>, Kuaishou and Bilibili clicks
    /// TikTok's <c>ttclid</c>.
    /// </summary>
    private static Dictionary<string, PropertyValue> LandingProps(Channel channel, int click, int person, int session)
    {
        var id = string.Create(CultureInfo.InvariantCulture, $"{click:x8}{person:x5}{session:x2}");
        var props = new Dictionary<string, PropertyValue> { [EventProperties.ClickId] = $"clk{click:x8}" };
        var landing = "https://shop.example/landing?utm_source=" + channel.Value;
        if (channel == Channel.Search || channel == Channel.Baidu)
        {
            props[EventProperties.Url] = landing + "&gclid=Cj0KCQ" + id;
        }
        else if (channel == Channel.Douyin)
        {
            props[EventProperties.Url] = landing + "&clickid=EPHk" + id;
        }
        else if (channel == Channel.WeChat)
        {
            // Tencent Ads in WeChat lands in the shop's mini program with gdt_vid in the launch query.
            props[EventProperties.LaunchQuery] = "gdt_vid=wx0" + id + "&weixinadinfo=" + (click % 100_000).ToString(CultureInfo.InvariantCulture) + ".wx0" + id + ".0.1";
        }
        else if (channel == Channel.Xiaohongshu)
        {
            props[EventProperties.Url] = landing + "&fbclid=IwAR" + id;
        }
        else if (channel == Channel.Kuaishou || channel == Channel.Bilibili)
        {
            props[EventProperties.Url] = landing + "&ttclid=E.C.P." + id;
        }
        return props;
    }

    private MarketingEvent MakeInvalid(SyntheticPerson person, Random random, DateTimeOffset at, string session)
    {
        var id = $"bad-{person.Index}-{random.Next()}";
        return random.Next(4) switch
        {
            0 => new MarketingEvent { Id = id, Type = EventType.PageView, OccurredAt = at.AddYears(5), Identities = [person.Identities[2]], SessionId = session },
            1 => new MarketingEvent
            {
                Id = id, Type = EventType.Purchase, OccurredAt = at, Identities = [person.Identities[0]], SessionId = session,
                Order = new Order { OrderId = id, PlacedAt = at, Lines = [new OrderLine { ProductId = Products[0].ProductId, Quantity = -1, UnitPrice = Products[0].Price }] },
            },
            2 => new MarketingEvent { Id = id, Type = EventType.Login, OccurredAt = at, Identities = [Identity.Email("not-an-email")], SessionId = session },
            _ => new MarketingEvent { Id = id, Type = EventType.PageView, OccurredAt = at, Identities = [], SessionId = session },
        };
    }

    private void GenerateBot(int b, Random random, List<MarketingEvent> events)
    {
        var at = _options.Start.AddDays(random.Next(_options.Days)).AddHours(random.Next(24));
        var cookie = Identity.Cookie($"bot-{b}-{random.Next():x8}");
        for (var i = 0; i < 150; i++)
        {
            at = at.AddMilliseconds(40 + random.Next(60));
            events.Add(new MarketingEvent
            {
                Id = $"bot-{b}-{i}",
                Type = EventType.ProductView,
                OccurredAt = at,
                Identities = [cookie],
                Channel = Channel.Direct,
                SessionId = $"bot-session-{b}",
                Properties = ProductProps(Products[random.Next(Products.Count)]),
            });
        }
    }

    private Product PickProduct(Random random, string favourite)
    {
        if (random.NextDouble() < 0.6)
        {
            var inCategory = Products.Where(p => p.Category == favourite).ToList();
            // Popularity skew: low indexes are bestsellers.
            return inCategory[(int)(inCategory.Count * Math.Pow(random.NextDouble(), 2))];
        }
        return Products[(int)(Products.Count * Math.Pow(random.NextDouble(), 2.5))];
    }

    private static Dictionary<string, PropertyValue> ProductProps(Product p, int quantity = 1) => new()
    {
        [EventProperties.ProductId] = p.ProductId,
        [EventProperties.Category] = p.Category,
        [EventProperties.Price] = p.Price.Amount,
        [EventProperties.Currency] = p.Price.Currency,
        [EventProperties.Quantity] = quantity,
    };

    private static Channel PickChannel(Random random)
    {
        var x = random.NextDouble() * Channels.Sum(c => c.Weight);
        foreach (var (channel, weight) in Channels)
        {
            x -= weight;
            if (x <= 0)
            {
                return channel;
            }
        }
        return Channel.Direct;
    }
}
