"""Comments on risks and controls: plain text shown escaped, @name mentions that notify the one
person they name (by mail and in "My work"), edits by the author within 15 minutes, each comment
and edit in the History with its old and new text."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from riskreg.audit import AuditEvent
from riskreg.auth.models import Role
from riskreg.comments import services
from riskreg.comments.mentions import resolve
from riskreg.comments.models import MAX_LENGTH, Comment, Mention
from riskreg.extensions import db
from riskreg.mail import NotificationOptOut, OutboxMessage
from tests.conftest import PASSWORD, text_of
from tests.controls_support import new_control


@pytest.fixture
def people(make_user):
    return {
        "sam": make_user(
            Role.DEPARTMENT_HEAD, department="Security", name="Sam Osei", email="sam.osei@mine.example"
        ),
        "ama": make_user(Role.EXECUTIVE, name="Ama Mensah", email="ama@mine.example"),
        "kofi1": make_user(Role.EXECUTIVE, name="Kofi Boateng", email="kboateng@mine.example"),
        "kofi2": make_user(Role.EXECUTIVE, name="Kofi Asante", email="kasante@mine.example"),
        "gone": make_user(Role.EXECUTIVE, name="Gone Person", email="gone@mine.example", active=False),
    }


def comments_on(entity: str, entity_id: int) -> list[Comment]:
    return list(
        db.session.scalars(sa.select(Comment).where(Comment.entity == entity, Comment.entity_id == entity_id))
    )


def test_the_mention_rule_email_name_first_then_a_single_name_word(people):
    found = resolve("@sam.osei and @Ama, @kofi @gone @nobody. Mail me at x@ama")
    assert {token: user.email for token, user in found.users.items()} == {
        "sam.osei": "sam.osei@mine.example",
        "ama": "ama@mine.example",
    }
    assert found.ambiguous == ["kofi"]
    assert found.unknown == ["gone", "nobody"]  # an inactive account is nobody; x@ama is an address


def test_a_comment_on_a_risk_notifies_the_person_mentioned_by_mail_and_in_my_work(
    clients, users, people, make_risk, smtp, login
):
    risk = make_risk()
    response = clients["executive"].post(
        f"/risks/{risk.id}/comments", data={"body": "@sam.osei can you check the fence? @kofi too"}
    )
    assert response.status_code == 302 and "#comment-" in response.headers["Location"]
    page = clients["executive"].get(response.headers["Location"])
    text = text_of(page)
    assert "Notified: Sam Osei." in text
    assert "Not notified: @kofi (several people" in text
    html = page.get_data(as_text=True)
    assert '<mark class="mention" title="Sam Osei was notified">@sam.osei</mark>' in html
    assert "@kofi too" in html  # plain text: not marked
    (message,) = smtp.to("sam.osei@mine.example")
    assert f"mentioned you on {risk.ref}" in message["Subject"]
    assert "can you check the fence?" in message.get_content()
    assert f"/risks/{risk.id}#comment-" in message.get_content()

    sam = login(people["sam"])
    mine = sam.get("/me").get_data(as_text=True)
    assert 'id="work-mentions"' in mine and f"on {risk.ref}: @sam.osei can you check" in text_of(
        sam.get("/me")
    )
    (mention,) = db.session.scalars(sa.select(Mention))
    opened = sam.get(f"/comments/mentions/{mention.id}")
    assert opened.status_code == 302 and opened.headers["Location"].endswith(f"#comment-{mention.comment_id}")
    assert 'id="work-mentions"' not in sam.get("/me").get_data(as_text=True)  # read: off the list
    assert login(people["ama"]).get(f"/comments/mentions/{mention.id}").status_code == 403


def test_a_person_who_turned_mentions_off_gets_no_mail_but_still_sees_it_in_my_work(
    clients, people, make_risk, smtp, login
):
    db.session.add(NotificationOptOut(user_id=people["ama"].id, kind="mentioned"))
    db.session.commit()
    risk = make_risk()
    clients["risk_manager"].post(f"/risks/{risk.id}/comments", data={"body": "@ama for your approval"})
    assert smtp.to("ama@mine.example") == []
    assert "for your approval" in text_of(login(people["ama"]).get("/me"))


def test_comment_text_is_escaped_and_plain(clients, make_risk):
    risk = make_risk()
    clients["executive"].post(
        f"/risks/{risk.id}/comments", data={"body": "<script>alert(1)</script> **bold**"}
    )
    html = clients["risk_manager"].get(f"/risks/{risk.id}").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; **bold**" in html


@pytest.mark.parametrize(
    ("body", "message"), [("   ", "the comment is empty"), ("x" * (MAX_LENGTH + 1), "at most 4,000")]
)
def test_an_empty_or_too_long_comment_is_refused_and_nothing_is_written(clients, make_risk, body, message):
    risk = make_risk()
    events = db.session.scalar(sa.select(sa.func.count(AuditEvent.id)))
    response = clients["executive"].post(
        f"/risks/{risk.id}/comments", data={"body": body}, follow_redirects=True
    )
    assert (
        response.status_code == 200
        and message in text_of(response)
        and "Nothing was saved" in text_of(response)
    )
    assert comments_on("risk", risk.id) == []
    assert db.session.scalar(sa.select(sa.func.count(AuditEvent.id))) == events


def test_every_role_that_sees_a_control_may_comment_on_it_and_it_shows_in_the_history(clients, users):
    control = new_control(users["risk_manager"], "Legal", owner_id=users["risk_manager"].id)
    for role in ("department_head", "executive"):  # a head of another department sees it: may comment
        response = clients[role].post(f"/controls/{control.id}/comments", data={"body": f"Seen by {role}"})
        assert response.status_code == 302
    assert len(comments_on("control", control.id)) == 2
    page = text_of(clients["admin"].get(f"/controls/{control.id}"))
    assert "Seen by department_head" in page and "Comment by Sam Security" in page


def test_a_missing_risk_or_control_is_a_404(clients):
    assert clients["executive"].post("/risks/999999/comments", data={"body": "x"}).status_code == 404
    assert clients["executive"].post("/controls/999999/comments", data={"body": "x"}).status_code == 404
    assert clients["executive"].get("/comments/999999/edit").status_code == 404


def test_csrf_is_required(csrf_app, make_user, make_risk):
    author = make_user(Role.EXECUTIVE)
    client = csrf_app.test_client()
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', client.get("/login").get_data(as_text=True))
    client.post("/login", data={"email": author.email, "password": PASSWORD, "csrf_token": token.group(1)})
    risk = make_risk()
    assert client.post(f"/risks/{risk.id}/comments", data={"body": "no token"}).status_code == 400
    assert comments_on("risk", risk.id) == []
    page = client.get(f"/risks/{risk.id}").get_data(as_text=True)
    form_token = re.search(r'id="comments".*?name="csrf_token"[^>]*value="([^"]+)"', page, re.S).group(1)
    sent = client.post(f"/risks/{risk.id}/comments", data={"body": "with a token", "csrf_token": form_token})
    assert sent.status_code == 302 and len(comments_on("risk", risk.id)) == 1


def test_only_the_author_edits_within_15_minutes_and_the_history_keeps_both_texts(
    clients, users, people, make_risk, smtp
):
    risk = make_risk()
    clients["executive"].post(f"/risks/{risk.id}/comments", data={"body": "First thought"})
    (comment,) = comments_on("risk", risk.id)
    assert clients["risk_manager"].get(f"/comments/{comment.id}/edit").status_code == 403
    assert (
        clients["risk_manager"].post(f"/comments/{comment.id}/edit", data={"body": "hijack"}).status_code
        == 403
    )

    response = clients["executive"].post(
        f"/comments/{comment.id}/edit", data={"body": "Second thought, @ama"}
    )
    assert response.status_code == 302
    db.session.refresh(comment)
    assert comment.body == "Second thought, @ama" and comment.edited_at is not None
    assert len(smtp.to("ama@mine.example")) == 1  # newly mentioned by the edit
    event = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "edit_comment")).one()
    assert (event.entity, event.entity_id) == ("risk", risk.id)
    assert event.changes == {"comment": ["First thought", "Second thought, @ama"]}
    history = text_of(clients["risk_manager"].get(f"/risks/{risk.id}"))
    assert "Edit comment by Eve Exec" in history and "First thought" in history

    comment.created_at -= services.EDIT_WINDOW + timedelta(seconds=1)
    db.session.commit()
    late = clients["executive"].post(f"/comments/{comment.id}/edit", data={"body": "Third"})
    assert late.status_code == 403 and "more than 15 minutes ago" in text_of(late)
    db.session.refresh(comment)
    assert comment.body == "Second thought, @ama"
    assert (
        "Edit</a>"
        not in clients["executive"].get(f"/risks/{risk.id}").get_data(as_text=True).split('id="comments"')[1]
    )


def test_a_mail_is_queued_in_the_comments_transaction(clients, people, make_risk, smtp):
    risk = make_risk()
    clients["executive"].post(f"/risks/{risk.id}/comments", data={"body": "@sam.osei @sam.osei twice"})
    rows = list(db.session.scalars(sa.select(OutboxMessage).where(OutboxMessage.kind == "mentioned")))
    assert len(rows) == 1 and rows[0].sent_at is not None


def test_my_mentions_is_one_bounded_read_however_many_mentions(clients, users, people, make_risk, login):
    from tests.conftest import statements

    risk = make_risk()
    sam = login(people["sam"])
    sam.get("/me")
    authors = [users["executive"], users["admin"], users["risk_manager"]]
    counts = []
    for batch in (1, 25):
        for number in range(batch):
            services.add_comment("risk", risk, f"@sam.osei look {number}", authors[number % 3])
        db.session.commit()
        with statements(sql_only=True) as seen:
            page = sam.get("/me")
        counts.append(len(seen))
    assert "Mentions 26" in text_of(page) and counts[0] == counts[1]  # authors read with the mentions
    assert page.get_data(as_text=True).split('id="work-mentions"')[1].count("/comments/mentions/") == 2 * 20
