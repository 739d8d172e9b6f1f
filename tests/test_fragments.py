"""The top bar's menu is rendered once per what it shows and kept (riskreg.fragments): the same
HTML as drawn each time, the sign-out form's CSRF token that of each session, a renamed person or
department never shown under the old name, the search page's own query never kept."""

from __future__ import annotations

import re

import sqlalchemy as sa

from riskreg import fragments
from riskreg.extensions import db
from tests.conftest import PASSWORD, risk_values


def text_of(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def menu_of(page: str) -> str:
    found = re.search(r'<details class="menu">.*?</details>', page, re.S)
    assert found, "no menu on the page"
    return found.group(0)


def unsigned(menu: str) -> str:
    """The menu without its CSRF token, which is signed anew each second."""
    return re.sub(r'name="csrf_token" value="[^"]+"', 'name="csrf_token"', menu)


def kept_parts(app) -> dict:
    return app.extensions.get("riskreg.fragments", {})


def test_the_menu_is_kept_and_the_same_as_drawn_each_time(app, clients, monkeypatch):
    client = clients["risk_manager"]
    first = unsigned(menu_of(text_of(client.get("/risks"))))
    assert len(kept_parts(app)) == 1
    again = unsigned(menu_of(text_of(client.get("/risks"))))
    assert again == first and len(kept_parts(app)) == 1
    assert 'aria-current="page">Register<' in first.replace("\n", "")
    menu_of(text_of(client.get("/me")))  # another page marks another link: a part of its own
    assert len(kept_parts(app)) == 2

    drawn = []
    real = fragments.kept

    def never_kept(*key, keep=True, **kwargs):
        drawn.append(key)
        return real(*key, keep=False, **kwargs)

    monkeypatch.setitem(app.jinja_env.globals, "kept", never_kept)
    assert unsigned(menu_of(text_of(client.get("/risks")))) == first
    assert drawn


def test_each_session_signs_out_with_its_own_token(csrf_app):
    from riskreg.auth import services

    people = [
        services.create_user(email=f"{name}@example.com", name=name, role="risk_manager", password=PASSWORD)
        for name in ("Ann", "Ben")
    ]
    db.session.commit()
    tokens = []
    for person in people:
        client = csrf_app.test_client()
        login = text_of(client.get("/login"))
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', login).group(1)
        data = {"email": person.email, "password": PASSWORD, "csrf_token": token}
        assert client.post("/login", data=data).status_code == 302
        menu = menu_of(text_of(client.get("/me")))
        [menu_token] = re.findall(r'name="csrf_token" value="([^"]+)"', menu)
        assert "riskreg-slot" not in menu
        tokens.append(menu_token)
        assert client.post("/logout", data={"csrf_token": menu_token}).status_code == 302
        assert client.get("/me").status_code == 302  # signed out
    assert tokens[0] != tokens[1]


def test_a_renamed_person_and_department_are_shown_by_their_new_names(app, users, login):
    head = users["department_head"]
    client = login(head)
    assert "Sam Security" in menu_of(text_of(client.get("/me")))
    head.name = "Samira Security"
    head.department.name = "Site security"
    db.session.commit()
    menu = menu_of(text_of(client.get("/me")))
    assert "Samira Security" in menu and "Site security" in menu and "Sam Security" not in menu


def test_names_are_escaped_and_cannot_reach_the_slot(app, make_user, login):
    client = login(make_user(name='<riskreg-slot> <b>"x"</b>'))
    menu = menu_of(text_of(client.get("/me")))
    assert "&lt;riskreg-slot&gt; &lt;b&gt;&#34;x&#34;&lt;/b&gt;" in menu
    assert "<b>" not in menu


def test_the_search_page_shows_its_own_query_and_is_not_kept(app, clients):
    client = clients["risk_manager"]
    for query in ("water", "<tailings>"):
        menu = menu_of(text_of(client.get(f"/search?q={query}")))
        assert f'value="{query.replace("<", "&lt;").replace(">", "&gt;")}"' in menu
    assert kept_parts(app) == {}


def test_the_menu_follows_the_language(app, clients):
    client = clients["risk_manager"]
    english = menu_of(text_of(client.get("/me")))
    french = menu_of(text_of(client.get("/me?lang=fr")))
    assert "Register" in english and "Registre" in french and "Register<" not in french


def add_control_fields(page: str) -> str:
    found = re.search(r"<summary>Add a new control</summary>.*?</form>", page, re.S)
    assert found, "no add-control form on the page"
    return found.group(0)


def test_the_add_control_form_is_kept_per_menus_and_posts_with_its_token(csrf_app):
    from riskreg.auth import services
    from riskreg.departments.models import Department

    manager = services.create_user(
        email="rm@example.com", name="Rhea", role="risk_manager", password=PASSWORD
    )
    db.session.commit()
    first, second = risk_owned_by(manager), risk_owned_by(manager)
    client = csrf_app.test_client()
    login = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', login).group(1)
    client.post("/login", data={"email": manager.email, "password": PASSWORD, "csrf_token": token})

    form = add_control_fields(text_of(client.get(f"/risks/{first}")))
    assert f'action="/risks/{first}/controls/new"' in form
    other = add_control_fields(text_of(client.get(f"/risks/{second}")))
    unaimed = re.compile(r'action="/risks/\d+/controls/new"|value="[^"]{40,}"')  # its risk, its signed token
    assert unaimed.sub("", form) == unaimed.sub("", other) and f"/risks/{second}/controls/new" in other
    assert "riskreg-slot" not in form and 'name="title"' in form
    kept = [key for key in kept_parts(csrf_app) if key[0] == "add-control"]
    assert len(kept) == 1

    db.session.add(Department(name="Community relations"))  # a new department: a new menu
    db.session.commit()
    form = add_control_fields(text_of(client.get(f"/risks/{first}")))
    assert "Community relations" in form
    assert len([key for key in kept_parts(csrf_app) if key[0] == "add-control"]) == 2

    [form_token] = re.findall(r'name="csrf_token" type="hidden" value="([^"]+)"', form)
    department = db.session.scalar(sa.select(Department.id).where(Department.name == "Community relations"))
    created = client.post(
        f"/risks/{first}/controls/new",
        data={
            "csrf_token": form_token,
            "title": "Fence the pit",
            "department_id": department,
            "owner_id": manager.id,
            "due_date": "2027-06-30",
        },
    )
    assert created.status_code == 302, re.findall(
        r'class="error"[^>]*>([^<]+)', created.get_data(as_text=True)
    )
    assert "Fence the pit" in client.get(f"/risks/{first}").get_data(as_text=True)


def risk_owned_by(owner) -> int:
    from riskreg.risks import services

    risk = services.create_risk(risk_values(owner.id), actor=owner)
    db.session.commit()
    return risk.id


def test_the_board_packs_bowtie_is_kept_and_shows_a_change_at_once(app, clients, users, make_risk):
    """The dashboard's printed bowties of the top residual risks are kept under what they show: a
    control renamed, a new control on the risk and another language show on the next view."""
    from riskreg.bowtie import services as bowtie_services
    from riskreg.controls.models import Control, Role
    from riskreg.extensions import db
    from tests.controls_support import new_control

    worst = {"inherent_likelihood": 5, "inherent_impact": 5, "residual_likelihood": 5, "residual_impact": 5}
    risk = make_risk(title="Tailings dam breach", **worst)
    actor = users["risk_manager"]
    cause = bowtie_services.add_item(risk, "cause", "Heavy rain on the dam", actor)
    control = new_control(actor, "Security", risks=[risk], title="Spillway inspection")
    bowtie_services.set_link(risk, control, Role.PREVENTIVE, cause.id, None, actor)
    db.session.commit()
    client = clients["executive"]

    def board(path: str = "/dashboard") -> str:
        page = client.get(path).get_data(as_text=True)
        return page.split('class="print-only board-bowties"')[1]

    ref = risk.ref
    first = board()
    assert "Spillway inspection" in first and "Heavy rain on the dam" in first
    assert board() == first  # the kept part, as drawn
    db.session.get(Control, control.id).title = "Spillway and crest inspection"
    db.session.commit()
    renamed = board()
    assert "Spillway and crest inspection" in renamed and "Spillway inspection<" not in renamed
    new_control(actor, "Security", risks=[risk], title="Night patrol of the crest")
    db.session.commit()
    assert "Night patrol of the crest" in board()
    french = board("/dashboard?lang=fr")
    assert f"Nœud papillon de {ref} Tailings dam breach" in french
    assert "Spillway and crest inspection" in french
