// Run by tools/polar_real/build.py inside a copy of polar-app's sources: makes
// Polar documents with Polar's own model code, the way its UI calls it, and prints
// them as JSON. Nothing here writes a field by hand: every annotation is made by
// the function Polar's UI calls for that action (named in the comments).
import {DocMetas} from 'polar-shared/src/metadata/DocMetas';
import {TextHighlightRecords} from 'polar-shared/src/metadata/TextHighlightRecords';
import {TextHighlights} from 'polar-shared/src/metadata/TextHighlights';
import {Refs} from 'polar-shared/src/metadata/Refs';
import {FlashcardType} from 'polar-shared/src/metadata/FlashcardType';
import {Hashcodes} from 'polar-shared/src/util/Hashcodes';
import {Tags} from 'polar-shared/src/tags/Tags';
import {Flashcards} from './metadata/Flashcards';
import {Comments} from './metadata/Comments';
import {AreaHighlights} from './metadata/AreaHighlights';
import {FlashcardActions} from './annotation_sidebar/child_annotations/flashcards/FlashcardActions';
import {AnnotationMutations} from 'polar-shared/src/metadata/mutations/AnnotationMutations';
import {AnnotationType} from 'polar-shared/src/metadata/AnnotationType';
import {Pagemarks} from 'polar-shared/src/metadata/Pagemarks';
import {DocInfo} from 'polar-shared/src/metadata/DocInfo';
import {Texts} from 'polar-shared/src/metadata/Texts';
import {TextType} from 'polar-shared/src/metadata/TextType';
import {startClock} from 'polar-real-clock';

// a 2x2 PNG (red), what Polar's area capture hands the writer as a data URL
const PNG = 'iVBORw0KGgoAAAANSUhEUgAAAAIAAAACCAIAAAD91JpzAAAAFklEQVR4nGP4z8DAwMDAxMDAwMDAAAANHQEDasKb6QAAAABJRU5ErkJggg==';

const PNG3 = 'iVBORw0KGgoAAAANSUhEUgAAAAMAAAADCAIAAADZSiLoAAAAD0lEQVR4nGNgaPgPRVhYAMEgDXgZB2Z6AAAAAElFTkSuQmCC';

startClock('2021-03-01T09:00:00.000Z');
// Polar's mutators log (PageMetaMutations.delete): to stderr, stdout is the library
console.log = console.warn = console.info = (...args: any[]) => { process.stderr.write(args.map(String).join(' ') + '\n'); };  // (shims/polar-real-clock.js)

const images: {[name: string]: string} = {};

function rect(top: number) {
    return {left: 100, top, right: 400, bottom: top + 18, width: 300, height: 18};
}

function textHighlight(docMeta: any, page: number, text: string, top: number, color: any = 'yellow',
                       order?: number) {
    // TextHighlighter.createTextHighlight: rects, textSelections, {TEXT: text}, colour, and
    // SelectedContents' order: undefined for a PDF, the selection's top + the section's
    // scrollY (px) in an EPUB
    const rects = [rect(top)];
    const textSelections = [{text, rect: rect(top)}];
    const record = TextHighlightRecords.create(rects as any, textSelections as any, {TEXT: text}, color, order);
    const pageMeta = DocMetas.getPageMeta(docMeta, page);
    pageMeta.textHighlights[record.id] = record.value as any;
    return record.value;
}

function areaHighlight(docMeta: any, page: number, top: number, existing?: any, png: string = PNG) {
    // a new area highlight, or (existing) one resized: AreaHighlights' writer gives it a
    // new image (new id and file), moves docInfo.attachments; its committer deletes the old file
    const pageMeta = DocMetas.getPageMeta(docMeta, page);
    let target = existing;
    if (!target) {
        target = AreaHighlights.create({rect: {left: 10, top, width: 40, height: 20}} as any);
        pageMeta.areaHighlights[target.id] = target;
    }
    const old = target.image;
    const writer = AreaHighlights.createWriter({
        datastore: undefined, docMeta, pageMeta, areaHighlight: target,
        areaHighlightRect: {left: 10, top, width: 40, height: 20} as any,
        position: {x: 10, y: top, width: 40, height: 20} as any,
        capturedScreenshot: {data: 'data:image/png;base64,' + png, type: 'image/png', width: 2, height: 2},
    } as any);
    const [written] = writer.prepare();
    images[written.image!.src.name] = png;
    if (old) {
        delete images[old.src.name];
    }
    return written;
}

function card(pageMeta: any, parent: {value: string, type: any}, fields: any) {
    // The sidebar's FlashcardActions.create: a new card from the form's HTML
    const type = fields.text !== undefined ? FlashcardType.CLOZE : FlashcardType.BASIC_FRONT_BACK;
    const before = new Set(Object.keys(pageMeta.flashcards));
    FlashcardActions.create(parent, pageMeta, type, fields);
    return Object.keys(pageMeta.flashcards).find(k => !before.has(k))!;
}

function comment(pageMeta: any, parent: any, html: string) {
    // CommentActions: Comments.createHTMLComment(html, ref) stored at page level
    const c = Comments.createHTMLComment(html, Refs.create(parent.id, 'text-highlight'));
    pageMeta.comments[c.id] = c;
    return c;
}

const ref = (h: any, type: any) => ({value: h.id, type});
const snapshot = (docMeta: any) => ({
    images: {...images},  // files/image/ as the committer leaves it at that point
    full: JSON.parse(JSON.stringify(docMeta)),
    // what Datastore.ts / DefaultPersistenceLayer.ts write (state.json, Firestore's value)
    sparse: DocMetas.serialize(docMeta, ''),
});

function book() {
    const fingerprint = Hashcodes.createRandomID();
    const docMeta: any = DocMetas.create(fingerprint, 12, `${Hashcodes.createRandomID({len: 10})}-cell-biology.pdf`);
    docMeta.docInfo.title = 'Cell Biology: Real Polar';
    // PDFUpgrader (2.x viewer, on first open): every page's pdf.js dimensions
    for (let num = 1; num <= docMeta.docInfo.nrPages; ++num) {
        DocMetas.getPageMeta(docMeta, num).pageInfo.dimensions = {width: 612, height: 792};
    }
    docMeta.docInfo.tags = {'deck:biology/cells': {id: 'deck:biology/cells', label: 'deck:biology/cells'}};
    const ids: any = {fingerprint};

    const p1 = DocMetas.getPageMeta(docMeta, 1);
    const h1 = textHighlight(docMeta, 1, 'The mitochondria is\nthe powerhouse of the cell.', 120);
    ids.basic = card(p1, ref(h1, 'text-highlight'), {front: 'What is the powerhouse of the cell?', back: '<p>The <b>mitochondria</b></p>'});
    ids.cloze = card(p1, ref(h1, 'text-highlight'), {text: 'The {{c1::mitochondria}} is the powerhouse of the {{c2::cell}}.'});
    ids.comment = comment(p1, h1, '<p>Remember this one.</p>').id;
    const h0 = textHighlight(docMeta, 1, 'Cells are the basic unit of life.', 40, 'green');
    ids.first = card(p1, ref(h0, 'text-highlight'), {front: 'What is the basic unit of life?', back: 'The cell'});

    const p2 = DocMetas.getPageMeta(docMeta, 2);
    const h2 = textHighlight(docMeta, 2, 'ATP synthase makes ATP.', 300);
    ids.beforeRevision = card(p2, ref(h2, 'text-highlight'), {front: 'What makes ATP?', back: 'ATP synthase'});
    // TextHighlights.setRevisedText: the highlight is stored again under a random id
    TextHighlights.setRevisedText(docMeta, p2, h2.id, '<p>ATP synthase makes <b>ATP</b> from ADP.</p>');
    const h2r: any = Object.values(p2.textHighlights).find((h: any) => h.guid === h2.guid);
    ids.afterRevision = card(p2, ref(h2r, 'text-highlight'), {front: 'ATP is made from?', back: 'ADP'});

    const p3 = DocMetas.getPageMeta(docMeta, 3);
    const a3 = areaHighlight(docMeta, 3, 200);
    ids.area = card(p3, ref(a3, 'area-highlight'), {front: 'Name the organelle in the figure', back: 'Golgi apparatus'});
    ids.areaCloze = card(p3, ref(a3, 'area-highlight'), {text: 'The figure shows the {{c1::Golgi}}.'});

    const p4 = DocMetas.getPageMeta(docMeta, 4);
    const h4 = textHighlight(docMeta, 4, 'Ribosomes translate mRNA.', 500);
    const c4 = comment(p4, h4, 'What about tRNA?');
    // a card made on a comment: the parent ref Refs.toRefType gives a comment
    ids.onComment = card(p4, {value: c4.id, type: 'comment'}, {front: 'What carries amino acids?', back: 'tRNA'});

    const p5 = DocMetas.getPageMeta(docMeta, 5);
    ids.page = card(p5, {value: '5', type: 'page'}, {front: 'Chapter 5 is about?', back: 'Membranes'});
    // Flashcards.createFrontBack with the other Text kinds (import and API paths)
    const md = Flashcards.createFrontBack('What is **osmosis**?', 'Water moving across a `membrane`', Refs.create(h4.id, 'text-highlight'), 'MARKDOWN');
    p5.flashcards[md.id] = md; ids.markdown = md.id;
    const tx = Flashcards.createFrontBack('Is 2 < 3 & 4 > 3?', 'yes', Refs.create(h4.id, 'text-highlight'), 'TEXT');
    p5.flashcards[tx.id] = tx; ids.text = tx.id;

    const p7 = DocMetas.getPageMeta(docMeta, 7);
    const h7 = textHighlight(docMeta, 7, '細胞はすべての生物の基本単位である。', 80);
    ids.japanese = card(p7, ref(h7, 'text-highlight'), {front: '生物の基本単位は？', back: '細胞'});
    const h7b = textHighlight(docMeta, 7, 'الخلية هي وحدة الحياة', 30);
    ids.arabic = card(p7, ref(h7b, 'text-highlight'), {text: 'الخلية هي {{c1::وحدة}} الحياة'});

    const p12 = DocMetas.getPageMeta(docMeta, 12);
    const h12 = textHighlight(docMeta, 12, 'The end.', 700);
    ids.image = card(p12, ref(h12, 'text-highlight'),
        {front: `What colour? <img src="data:image/png;base64,${PNG}">`, back: 'red'});
    ids.h1 = h1.id; ids.h2 = h2.id; ids.h2r = h2r.id; ids.a3 = a3.id; ids.h4 = h4.id;
    return {docMeta, ids};
}

function edit(docMeta: any, ids: any) {
    // The sidebar's edit: FlashcardActions.update (delete + new card, new id)
    const p1 = DocMetas.getPageMeta(docMeta, 1);
    const h1 = Object.values(p1.textHighlights).find((h: any) => h.id === ids.h1) as any;
    const before = new Set(Object.keys(p1.flashcards));
    FlashcardActions.update(docMeta, p1, ref(h1, 'text-highlight'), FlashcardType.BASIC_FRONT_BACK,
        {front: 'What is the powerhouse of the cell?', back: '<p>The <b>mitochondria</b> (edited)</p>'} as any, ids.basic);
    ids.basicEdited = Object.keys(p1.flashcards).find(k => !before.has(k));
    // FlashcardActions.delete
    FlashcardActions.delete(docMeta, p1, ref(h1, 'text-highlight'), ids.first);
    // Comments.update: the comment edited in place
    Comments.update(ids.comment, docMeta, p1, {content: {HTML: '<p>Remember this one!</p>'}, lastUpdated: new Date().toISOString()} as any);
    // a second revision of the revised highlight
    const p2 = DocMetas.getPageMeta(docMeta, 2);
    TextHighlights.setRevisedText(docMeta, p2, ids.h2r, '<p>ATP synthase makes ATP (revised twice).</p>');
    // the area highlight's card edited (cloze)
    const p3 = DocMetas.getPageMeta(docMeta, 3);
    const before3 = new Set(Object.keys(p3.flashcards));
    FlashcardActions.update(docMeta, p3, {value: ids.a3, type: 'area-highlight'}, FlashcardType.CLOZE,
        {text: 'The figure shows the {{c1::Golgi apparatus}}.'} as any, ids.areaCloze);
    ids.areaClozeEdited = Object.keys(p3.flashcards).find(k => !before3.has(k));
    // the area highlight resized: a new screenshot (a 3x3 PNG)
    areaHighlight(docMeta, 3, 200, p3.areaHighlights[ids.a3], PNG3);
    return ids;
}

function retag(docMeta: any, ids: any) {
    // PersistenceLayerMutator2's tag edits: a card's tags in place (Flashcards.update),
    // the document's (docInfo.tags); TextHighlights.update of a colour; a highlight
    // deleted with a card on it (TextHighlights.deleteTextHighlight leaves the card)
    const p1 = DocMetas.getPageMeta(docMeta, 1);
    Flashcards.update(ids.cloze, docMeta, p1, {tags: Tags.toMap([
        {id: 'hard', label: 'hard'}, {id: '/biology/exam', label: '/biology/exam'}])} as any);
    docMeta.docInfo.tags = Tags.toMap([{id: 'deck:biology/organelles', label: 'deck:biology/organelles'}]);
    TextHighlights.update(ids.h1, docMeta, p1, {color: 'red'} as any);
    const p12 = DocMetas.getPageMeta(docMeta, 12);
    const h12: any = Object.values(p12.textHighlights)[0];
    TextHighlights.deleteTextHighlight(p12, h12);
    return ids;
}

if (process.argv[2] === '--upgrade') {
    // A DocMeta Polar 1.x wrote, loaded and saved again by Polar 2.x (the move to the
    // cloud): DocMetas.deserialize (fromSparse, DocMetas.upgrade) then serialize.
    const data = require('fs').readFileSync(process.argv[3], 'utf-8');
    const fingerprint = JSON.parse(data).docInfo.fingerprint;
    process.stdout.write(JSON.stringify({upgraded: DocMetas.serialize(DocMetas.deserialize(data, fingerprint), '')}));
    process.exit(0);
}

function epubBook() {
    // An EPUB in 2.x's viewer: a page is a section (spine item); order = top + scrollY
    const fingerprint = Hashcodes.createRandomID();
    const docMeta: any = DocMetas.create(fingerprint, 4, `${Hashcodes.createRandomID({len: 10})}-novel.epub`);
    docMeta.docInfo.title = 'A Novel in Sections';
    const ids: any = {fingerprint};
    const s2 = DocMetas.getPageMeta(docMeta, 2);
    // scrolled 2,400 px into section 2: the later highlight's rect is higher on screen
    const late = textHighlight(docMeta, 2, 'Later in the chapter, after scrolling.', 120, 'yellow', 2400 + 120);
    const early = textHighlight(docMeta, 2, 'Early in the chapter.', 300, 'yellow', 300);
    ids.late = card(s2, ref(late, 'text-highlight'), {front: 'What came later?', back: 'The scroll'});
    ids.early = card(s2, ref(early, 'text-highlight'), {front: 'What came early?', back: 'The start'});
    const s4 = DocMetas.getPageMeta(docMeta, 4);
    const last = textHighlight(docMeta, 4, 'The last section.', 50, 'yellow', 50);
    ids.last = card(s4, ref(last, 'text-highlight'), {text: 'The {{c1::last}} section.'});
    return {ids, v1: snapshot(docMeta)};
}

function revisedBook() {
    // A highlight revised three times in one sitting, between two syncs, a card and a
    // comment made on each of its revisions (the sidebar's CreateFlashcard2 and
    // CreateComment2 take the highlight's id of that moment: Refs.createRef); a
    // neighbour revised once before them all. Page 2: two highlights revised in turn
    // with a card on each one's first revision (which highlight each was made on, the
    // DocMeta no longer tells). Page 1 and 2: a highlight in the same place on each.
    const fingerprint = Hashcodes.createRandomID();
    const docMeta: any = DocMetas.create(fingerprint, 2, `${Hashcodes.createRandomID({len: 10})}-enzymes.pdf`);
    docMeta.docInfo.title = 'Enzymes, Revised';
    for (let num = 1; num <= docMeta.docInfo.nrPages; ++num) {
        DocMetas.getPageMeta(docMeta, num).pageInfo.dimensions = {width: 612, height: 792};
    }
    const ids: any = {fingerprint};
    const current = (page: any, guid: string) => Object.values(page.textHighlights).find((h: any) => h.guid === guid) as any;
    const revise = (page: any, h: any, html: string) => {
        TextHighlights.setRevisedText(docMeta, page, current(page, h.guid).id, html);
        return current(page, h.guid);
    };
    const p1 = DocMetas.getPageMeta(docMeta, 1);
    const n = textHighlight(docMeta, 1, 'Substrates bind the active site.', 400);
    const n1 = revise(p1, n, '<p>Substrates bind the <b>active site</b>.</p>');
    ids.onNeighbour = card(p1, ref(n1, 'text-highlight'), {front: 'Where do substrates bind?', back: 'The active site'});
    const h = textHighlight(docMeta, 1, 'Enzymes speed reactions.', 100);
    ids.onOriginal = card(p1, ref(h, 'text-highlight'), {front: 'What do enzymes do?', back: 'Speed reactions'});
    ids.commentOriginal = comment(p1, h, '<p>Comment on the original.</p>').id;
    let r = h;
    for (const i of [1, 2, 3]) {
        r = revise(p1, h, `<p>Enzymes speed reactions (revision ${i}).</p>`);
        ids[`onRevision${i}`] = card(p1, ref(r, 'text-highlight'), {front: `Made on revision ${i}?`, back: 'Yes'});
        ids[`commentRevision${i}`] = comment(p1, r, `<p>Comment on revision ${i}.</p>`).id;
    }
    r = revise(p1, h, '<p>Enzymes speed reactions by lowering the activation energy.</p>');
    ids.onLast = card(p1, ref(r, 'text-highlight'), {front: 'How do enzymes speed reactions?', back: 'Lower activation energy'});
    const p2 = DocMetas.getPageMeta(docMeta, 2);
    // the same rectangles on two pages: one id (createID(rects)), each page its own
    // highlight (page 2's 'a' below also has page 1's 'h''s rectangles, so its guid)
    const same1 = textHighlight(docMeta, 1, 'Same place, page one.', 600);
    const same2 = textHighlight(docMeta, 2, 'Same place, page two.', 600);
    ids.samePage1 = card(p1, ref(same1, 'text-highlight'), {front: 'Which page, one?', back: 'One'});
    ids.commentSamePage1 = comment(p1, same1, '<p>Comment on page one.</p>').id;
    ids.samePage2 = card(p2, ref(same2, 'text-highlight'), {front: 'Which page, two?', back: 'Two'});
    ids.commentSamePage2 = comment(p2, same2, '<p>Comment on page two.</p>').id;
    ids.sameId = same1.id === same2.id;
    const a = textHighlight(docMeta, 2, 'Left alone.', 100);
    const b = textHighlight(docMeta, 2, 'Right alone.', 300);
    const a1 = revise(p2, a, '<p>Left, revised.</p>');
    const b1 = revise(p2, b, '<p>Right, revised.</p>');
    ids.onA1 = card(p2, ref(a1, 'text-highlight'), {front: 'On the left?', back: 'Yes'});
    ids.onB1 = card(p2, ref(b1, 'text-highlight'), {front: 'On the right?', back: 'Yes'});
    revise(p2, a, '<p>Left, revised twice.</p>');
    revise(p2, b, '<p>Right, revised twice.</p>');
    const v1 = snapshot(docMeta);
    // After a sync: a card and a comment on the revision then current, then two more
    // revisions before the next sync
    const r4 = current(p1, h.guid);
    ids.onRevision4 = card(p1, ref(r4, 'text-highlight'), {front: 'Made on revision 4?', back: 'Yes'});
    ids.commentRevision4 = comment(p1, r4, '<p>Comment on revision 4.</p>').id;
    revise(p1, h, '<p>Enzymes lower the activation energy (revision 5).</p>');
    revise(p1, h, '<p>Enzymes lower the activation energy (revision 6).</p>');
    const v2 = snapshot(docMeta);
    // Then, in the UI: the highlight's colour changed (onColor: AnnotationMutations.update,
    // which stamps lastUpdated), the document renamed (RepoDocMetaManager: docInfo.title),
    // pages 1-2 marked read (DocViewerStore: Pagemarks.updatePagemarksForRange), page 2's
    // left highlight deleted (onDeleted: AnnotationMutations.delete, which deletes the
    // cards and comments on its present id; the card on its first revision stays),
    const hNow = current(p1, h.guid);
    AnnotationMutations.update({id: hNow.id, pageNum: 1, annotationType: AnnotationType.TEXT_HIGHLIGHT,
        docMetaRef: {id: fingerprint}, original: hNow, docMeta} as any, {...hNow, color: 'red'});
    docMeta.docInfo.title = 'Enzymes, Retitled';
    Pagemarks.updatePagemarksForRange(docMeta, 2, 100, {start: 1} as any);
    const aNow = current(p2, a.guid);
    AnnotationMutations.delete({id: aNow.id, pageNum: 2, annotationType: AnnotationType.TEXT_HIGHLIGHT,
        docMetaRef: {id: fingerprint}, original: aNow, docMeta} as any);
    // and the neighbour's revision reverted (the UI's "revert": resetRevisedText, a new id again)
    TextHighlights.resetRevisedText(docMeta, p1, current(p1, n.guid).id);
    const v3 = snapshot(docMeta);
    return {ids, v1, v2, v3};
}

function actionsBook() {
    // More of what a person does in Polar 2.x's UI, each through the function the UI calls:
    // the sidebar's flashcard editor (FlashcardActions.update: edited twice between two
    // syncs, and again after; a three-deletion cloze edited to drop c2), the comment
    // editor (DocAnnotationsMutator.onComment: "update" is AnnotationMutations.update with
    // Texts.create(html, HTML); "delete" is CommentActions.delete), the sidebar's tag editor
    // on a card (doTagged: Tags.computeNewTags then AnnotationMutations.update), the
    // document repository's tag editor (RepoDocMetaManager.writeDocInfoTags:
    // docInfo.tags = Tags.toMap(computeNewTags(..., 'set')), then writeDocInfo's
    // new DocInfo(docInfo)) and its flag / archive buttons (DocRepoStore2.doFlagged /
    // doArchived: docInfo.flagged / archived, then writeDocInfo).
    const fingerprint = Hashcodes.createRandomID();
    const docMeta: any = DocMetas.create(fingerprint, 3, `${Hashcodes.createRandomID({len: 10})}-mechanics.pdf`);
    docMeta.docInfo.title = 'Mechanics, Acted On';
    for (let num = 1; num <= docMeta.docInfo.nrPages; ++num) {
        DocMetas.getPageMeta(docMeta, num).pageInfo.dimensions = {width: 612, height: 792};
    }
    const ids: any = {fingerprint};
    const writeDocInfo = () => { docMeta.docInfo = new DocInfo(docMeta.docInfo); };
    const docTags = (labels: string[]) => {
        const tags = labels.map(label => ({id: label, label}));
        docMeta.docInfo.tags = Tags.toMap(Tags.computeNewTags(docMeta.docInfo.tags, tags, 'set') as any);
        writeDocInfo();
    };
    docTags(['deck:physics/mechanics', 'newton', 'motion']);
    const p1 = DocMetas.getPageMeta(docMeta, 1);
    const h = textHighlight(docMeta, 1, 'Force equals mass times acceleration.', 150);
    const href = ref(h, 'text-highlight');
    ids.twice = card(p1, href, {front: 'What is F?', back: 'm a'});
    ids.cloze = card(p1, href, {text: '{{c1::Force}} equals {{c2::mass}} times {{c3::acceleration}}.'});
    ids.tagged = card(p1, href, {front: 'Whose second law?', back: 'Newton'});
    ids.kept = comment(p1, h, '<p>The second law.</p>').id;
    ids.dropped = comment(p1, h, '<p>A comment deleted later.</p>').id;
    const p2 = DocMetas.getPageMeta(docMeta, 2);
    const h2 = textHighlight(docMeta, 2, 'Momentum is conserved.', 300);
    ids.plain = card(p2, ref(h2, 'text-highlight'), {front: 'What is conserved?', back: 'Momentum'});
    ids.switched = card(p2, ref(h2, 'text-highlight'), {front: 'Is momentum conserved?', back: 'Yes'});
    const c2 = comment(p2, h2, '<p>In a closed system.</p>');
    ids.onComment = card(p2, {value: c2.id, type: 'comment'}, {front: 'Which system?', back: 'A closed one'});
    ids.commentWithCard = c2.id;
    const v1 = snapshot(docMeta);

    const edit = (page: any, id: string, type: any, fields: any) => {
        // FlashcardInput2 hands the edit the card's own parent (its ref as it was)
        const old = page.flashcards[id];
        const before = new Set(Object.keys(page.flashcards));
        FlashcardActions.update(docMeta, page, Refs.parse(old.ref), type, fields, id);
        return Object.keys(page.flashcards).find(k => !before.has(k))!;
    };
    const annotation = (page: number, id: string, annotationType: any, original: any) =>
        ({id, pageNum: page, annotationType, docMetaRef: {id: fingerprint}, original, docMeta} as any);
    ids.twice1 = edit(p1, ids.twice, FlashcardType.BASIC_FRONT_BACK, {front: 'What is F?', back: 'm a (edit 1)'});
    ids.twice2 = edit(p1, ids.twice1, FlashcardType.BASIC_FRONT_BACK, {front: 'What is F?', back: 'm a (edit 2)'});
    ids.clozeEdited = edit(p1, ids.cloze, FlashcardType.CLOZE, {text: '{{c1::Force}} equals mass times {{c3::acceleration}}.'});
    const kept = p1.comments[ids.kept];
    AnnotationMutations.update(annotation(1, ids.kept, AnnotationType.COMMENT, kept),
        {...kept, content: Texts.create('<p>The second law, edited.</p>', TextType.HTML)});
    delete p1.comments[ids.dropped];  // CommentActions.delete(pageMeta, existing)
    const tagged = p1.flashcards[ids.tagged];
    AnnotationMutations.update(annotation(1, ids.tagged, AnnotationType.FLASHCARD, tagged),
        {...tagged, tags: Tags.toMap(Tags.computeNewTags(tagged.tags, [{id: 'exam', label: 'exam'}], 'set') as any)});
    // the editor's type switch (FlashcardInput2's onFlashcardChangeType): a basic card saved as a cloze
    ids.switchedEdited = edit(p2, ids.switched, FlashcardType.CLOZE, {text: 'Momentum is {{c1::conserved}}.'});
    // the comment deleted from the sidebar's menu (onDeleted: AnnotationMutations.delete), which
    // also deletes the card made on it
    AnnotationMutations.delete(annotation(2, c2.id, AnnotationType.COMMENT, p2.comments[c2.id]));
    const v2 = snapshot(docMeta);

    ids.twice3 = edit(p1, ids.twice2, FlashcardType.BASIC_FRONT_BACK, {front: 'What is F?', back: 'm a (edit 3)'});
    // the card's tag removed in the sidebar's tag editor (doTagged, 'set' to none)
    const tagged2 = p1.flashcards[ids.tagged];
    AnnotationMutations.update(annotation(1, ids.tagged, AnnotationType.FLASHCARD, tagged2),
        {...tagged2, tags: Tags.toMap(Tags.computeNewTags(tagged2.tags, [], 'set') as any)});
    docTags(['newton']);  // the deck: tag and 'motion' gone; 'newton' kept
    docMeta.docInfo.flagged = true; writeDocInfo();
    const v3 = snapshot(docMeta);
    docMeta.docInfo.archived = true; writeDocInfo();
    const v4 = snapshot(docMeta);
    return {ids, v1, v2, v3, v4};
}

const {docMeta, ids} = book();
const v1 = snapshot(docMeta);
edit(docMeta, ids);
const v2 = snapshot(docMeta);
retag(docMeta, ids);
const v3 = snapshot(docMeta);
const epub = epubBook();
const revised = revisedBook();
const actions = actionsBook();
process.stdout.write(JSON.stringify({ids, images, v1, v2, v3, epub, revised, actions}));
